using RnnLm.Engine.Interpolation;
using RnnLm.Engine.Model;

namespace RnnLm.Engine.Rescoring;

/// <summary>
/// N-best rescoring: every hypothesis of every utterance scored by the language model in one batched pass, its score combined
/// with the first pass's, and each utterance's hypotheses re-ranked, best first. The one definition both the CLI and the API use.
/// </summary>
/// <remarks>
/// <para>The combined score of a hypothesis with words w_1..w_n (<see cref="Combine"/>):
/// <c>Σ_k weight(k)·score_k + lm·ln P(w_1..w_n &lt;/s&gt;) + wordInsertionPenalty·n</c>, the first-pass scores summed in the
/// ordinal order of their names. ln is the natural log; P is the RNN's, or with an n-gram model the mixture
/// λ·P_rnn + (1 − λ)·P_ngram per token; <c>&lt;/s&gt;</c> is predicted and counted, <c>&lt;s&gt;</c> is context only, and every
/// hypothesis is scored on its own from the sentence start, exactly as <see cref="LanguageModel.Score"/> scores it.</para>
/// <para>Ties keep the input order: of two hypotheses with the same combined score the one given first ranks first.</para>
/// </remarks>
public static class Rescorer
{
    /// <summary>The most problems <see cref="Check"/> reports.</summary>
    public const int MaxProblems = 20;

    /// <summary>The most first-pass scores one hypothesis may carry.</summary>
    public const int MaxScores = 16;

    /// <summary>The longest name a first-pass score may have.</summary>
    public const int MaxScoreNameLength = 64;

    /// <summary>
    /// The combined score of <paramref name="hypothesis"/> given its language-model log-probability (see the remarks of
    /// <see cref="Rescorer"/>). A term whose weight is 0 is left out, so that a zero weight never meets an infinite score.
    /// </summary>
    public static double Combine(Hypothesis hypothesis, double lmLogProb, RescoringWeights weights)
    {
        ArgumentNullException.ThrowIfNull(hypothesis);
        ArgumentNullException.ThrowIfNull(weights);
        double combined = 0;
        foreach (var name in hypothesis.Scores.Keys.Order(StringComparer.Ordinal))
        {
            combined += Term(weights.ScoreWeight(name), hypothesis.Scores[name]);
        }

        return combined + Term(weights.Lm, lmLogProb) + Term(weights.WordInsertionPenalty, hypothesis.Tokens.Count);
    }

    /// <summary>
    /// Rescores with the RNN alone. Hypotheses are scored in one batch, split between <paramref name="threads"/> without
    /// changing any figure.
    /// </summary>
    /// <exception cref="ArgumentException">The input has a problem <see cref="Check"/> reports; the message names the first.</exception>
    public static IReadOnlyList<RescoredUtterance> Rescore(LanguageModel model, IReadOnlyList<Utterance> utterances, RescoringWeights weights, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Rescore(model, null, 1, utterances, weights, threads);
    }

    /// <summary>Rescores with the RNN interpolated with an n-gram model at weight λ on the RNN; every hypothesis also gets both components.</summary>
    /// <exception cref="ArgumentException">As for the RNN alone.</exception>
    /// <exception cref="ArgumentOutOfRangeException">λ is not in [0, 1].</exception>
    /// <exception cref="InvalidDataException">A token has probability 0 under the mixture (λ = 0 with a closed-vocabulary n-gram lacking it).</exception>
    public static IReadOnlyList<RescoredUtterance> Rescore(InterpolatedModel mixture, double lambda, IReadOnlyList<Utterance> utterances, RescoringWeights weights, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(mixture);
        if (!Mixture.IsValidLambda(lambda))
        {
            throw new ArgumentOutOfRangeException(nameof(lambda), lambda, Mixture.LambdaRule);
        }

        return Rescore(mixture.Rnn, mixture, lambda, utterances, weights, threads);
    }

    private static IReadOnlyList<RescoredUtterance> Rescore(
        LanguageModel model, InterpolatedModel? mixture, double lambda, IReadOnlyList<Utterance> utterances, RescoringWeights weights, int threads)
    {
        ArgumentNullException.ThrowIfNull(utterances);
        ArgumentNullException.ThrowIfNull(weights);
        if (Check(utterances, weights).FirstOrDefault() is { } problem)
        {
            throw new ArgumentException($"{problem.Field}: {problem.Message}", nameof(utterances));
        }

        var sentences = utterances.SelectMany(u => u.Hypotheses.Select(h => h.Tokens)).ToArray();
        var lm = LogProbs(model, mixture, lambda, sentences, threads);
        var vocabulary = model.Vocabulary;
        var rescored = new RescoredUtterance[utterances.Count];
        var flat = 0;
        for (var u = 0; u < rescored.Length; u++)
        {
            var hypotheses = utterances[u].Hypotheses;
            var scored = new RescoredHypothesis[hypotheses.Count];
            for (var h = 0; h < scored.Length; h++, flat++)
            {
                var hypothesis = hypotheses[h];
                var (rnn, ngram, mixed) = lm[flat];
                var unknown = hypothesis.Tokens.Count(t => vocabulary.IdOf(t) == vocabulary.Unknown);
                scored[h] = new RescoredHypothesis(h, 0, hypothesis.Tokens, unknown, rnn, ngram, mixed, Combine(hypothesis, mixed, weights), hypothesis.Scores);
            }

            rescored[u] = new RescoredUtterance(utterances[u].Id, Rank(scored));
        }

        return rescored;
    }

    /// <summary>Best first: by combined score, higher first; equal scores in input order.</summary>
    internal static RescoredHypothesis[] Rank(RescoredHypothesis[] scored)
    {
        var order = (RescoredHypothesis[])scored.Clone();
        Array.Sort(order, (a, b) => b.Combined.CompareTo(a.Combined) is var byScore and not 0 ? byScore : a.Index.CompareTo(b.Index));
        for (var rank = 0; rank < order.Length; rank++)
        {
            order[rank] = order[rank] with { Rank = rank + 1 };
        }

        return order;
    }

    // Each hypothesis' (RNN, n-gram, used) natural-log probability, in input order, from one batched pass.
    private static (double Rnn, double? NGram, double Used)[] LogProbs(
        LanguageModel model, InterpolatedModel? mixture, double lambda, IReadOnlyList<string>[] sentences, int threads)
    {
        var result = new (double, double?, double)[sentences.Length];
        if (mixture is not null)
        {
            var components = mixture.CorpusComponents(sentences, threads);
            for (var s = 0; s < result.Length; s++)
            {
                var (rnn, ngram, mixed) = components.Sentence(s, lambda);
                result[s] = (rnn, ngram, SentenceComponents.Finite(mixed, string.Join(' ', sentences[s])));
            }

            return result;
        }

        var rows = model.TokenLogProbs(sentences, threads);
        for (var s = 0; s < result.Length; s++)
        {
            // Summed in order in double, as LanguageModel.Score sums a sentence: the same total, bit for bit.
            double sum = 0;
            foreach (var logProb in rows[s])
            {
                sum += logProb;
            }

            result[s] = (sum, null, sum);
        }

        return result;
    }

    private static double Term(double weight, double value) => weight == 0 ? 0 : weight * value;

    /// <summary>
    /// What stops an input from being rescored, at most <see cref="MaxProblems"/>, each with its JSON path: an utterance without an
    /// id or hypotheses, an id given twice, a hypothesis without words or with a reserved, blank or over-long token, a score or
    /// weight that is not a finite number within ±<see cref="RescoringWeights.MaxMagnitude"/>, hypotheses of one utterance with
    /// different score names, and a weight naming a score no hypothesis has. Empty when the input is good.
    /// </summary>
    public static IReadOnlyList<RescoringProblem> Check(IReadOnlyList<Utterance> utterances, RescoringWeights weights)
    {
        ArgumentNullException.ThrowIfNull(utterances);
        ArgumentNullException.ThrowIfNull(weights);
        var problems = new List<RescoringProblem>();
        void Add(int utterance, int hypothesis, string field, string message)
        {
            if (problems.Count < MaxProblems)
            {
                problems.Add(new RescoringProblem(utterance, hypothesis, field, message));
            }
        }

        if (utterances.Count == 0)
        {
            Add(-1, -1, "utterances", "Must contain at least one utterance.");
        }

        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var u = 0; u < utterances.Count && problems.Count < MaxProblems; u++)
        {
            var utterance = utterances[u];
            var at = $"utterances[{u}]";
            if (string.IsNullOrWhiteSpace(utterance.Id))
            {
                Add(u, -1, $"{at}.id", "Must be a non-blank id.");
            }
            else if (!ids.TryAdd(utterance.Id, u))
            {
                Add(u, -1, $"{at}.id", $"'{utterance.Id}' is also the id of utterances[{ids[utterance.Id]}]; each utterance needs its own.");
            }

            if (utterance.Hypotheses.Count == 0)
            {
                Add(u, -1, $"{at}.hypotheses", "Must contain at least one hypothesis.");
            }

            for (var h = 0; h < utterance.Hypotheses.Count; h++)
            {
                var hypothesis = utterance.Hypotheses[h];
                var field = $"{at}.hypotheses[{h}]";
                CheckTokens(hypothesis.Tokens, $"{field}.tokens", (f, m) => Add(u, h, f, m));
                if (hypothesis.Scores.Count > MaxScores)
                {
                    Add(u, h, $"{field}.scores", $"Has {hypothesis.Scores.Count} scores; at most {MaxScores} are allowed.");
                }

                foreach (var (name, value) in hypothesis.Scores)
                {
                    names.Add(name);
                    CheckName(name, $"{field}.scores", (f, m) => Add(u, h, f, m));
                    CheckNumber(value, $"{field}.scores.{name}", (f, m) => Add(u, h, f, m));
                }

                if (h > 0 && !SameNames(hypothesis.Scores, utterance.Hypotheses[0].Scores))
                {
                    Add(u, h, $"{field}.scores", $"Has the scores {Names(hypothesis.Scores)} but hypothesis 0 of the utterance has {Names(utterance.Hypotheses[0].Scores)}: "
                        + "every hypothesis of an utterance needs the same scores, or their combined scores could not be compared.");
                }
            }
        }

        CheckNumber(weights.Lm, "weights.lm", (f, m) => Add(-1, -1, f, m));
        CheckNumber(weights.WordInsertionPenalty, "weights.wordInsertionPenalty", (f, m) => Add(-1, -1, f, m));
        foreach (var (name, weight) in weights.Scores)
        {
            CheckNumber(weight, $"weights.scores.{name}", (f, m) => Add(-1, -1, f, m));
            if (!names.Contains(name))
            {
                Add(-1, -1, $"weights.scores.{name}", $"No hypothesis has a score '{name}'; the scores given are {(names.Count == 0 ? "none" : Names(names))}.");
            }
        }

        return problems;
    }

    private static void CheckTokens(IReadOnlyList<string> tokens, string field, Action<string, string> add)
    {
        if (tokens.Count == 0)
        {
            add(field, "Must contain at least one word.");
        }

        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            var problem = string.IsNullOrEmpty(token) ? "Must not be empty."
                : token.Length > Vocabulary.MaxWordLength ? $"Is {token.Length:N0} characters long; a token has at most {Vocabulary.MaxWordLength:N0}."
                : token is Vocabulary.StartOfSentenceToken or Vocabulary.EndOfSentenceToken ? $"'{token}' is reserved: sentence boundaries are added by the model."
                : token.Any(char.IsWhiteSpace) ? "Must not contain white space."
                : null;
            if (problem is not null)
            {
                add($"{field}[{i}]", problem);
                return;
            }
        }
    }

    private static void CheckName(string name, string field, Action<string, string> add)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > MaxScoreNameLength || name.Any(char.IsControl))
        {
            add(field, $"A score's name must be 1 to {MaxScoreNameLength} characters, not blank, without control characters.");
        }
    }

    private static void CheckNumber(double value, string field, Action<string, string> add)
    {
        if (!double.IsFinite(value) || Math.Abs(value) > RescoringWeights.MaxMagnitude)
        {
            add(field, $"Must be a finite number from -{RescoringWeights.MaxMagnitude:0e0} to {RescoringWeights.MaxMagnitude:0e0}.");
        }
    }

    private static bool SameNames(IReadOnlyDictionary<string, double> a, IReadOnlyDictionary<string, double> b) =>
        a.Count == b.Count && a.Keys.All(b.ContainsKey);

    private static string Names(IReadOnlyDictionary<string, double> scores) => scores.Count == 0 ? "none" : Names(scores.Keys);

    private static string Names(IEnumerable<string> names) => string.Join(", ", names.Order(StringComparer.Ordinal).Select(n => $"'{n}'"));
}
