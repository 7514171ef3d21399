namespace RnnLm.Engine.Rescoring;

/// <summary>One hypothesis of an n-best list: its words and the scores a first pass gave it.</summary>
/// <param name="Tokens">The words, tokenized; <c>&lt;/s&gt;</c> is added by the model, never given.</param>
/// <param name="Scores">First-pass scores by name (for example <c>acoustic</c>, <c>ngram</c>), each a log-likelihood or any
/// other number that grows with how good the hypothesis is; each enters the combined score times its weight.</param>
public sealed record Hypothesis(IReadOnlyList<string> Tokens, IReadOnlyDictionary<string, double> Scores)
{
    /// <summary>A hypothesis without first-pass scores.</summary>
    public Hypothesis(IReadOnlyList<string> tokens)
        : this(tokens, new Dictionary<string, double>())
    {
    }
}

/// <summary>One utterance: an id and its hypotheses, in the order the first pass gave them (that order breaks ties).</summary>
public sealed record Utterance(string Id, IReadOnlyList<Hypothesis> Hypotheses);

/// <summary>
/// How a hypothesis' combined score is made (<see cref="Rescorer.Combine"/>):
/// <c>combined = Σ_k weight(k)·score_k + Lm·lmLogProb + WordInsertionPenalty·words</c>.
/// </summary>
public sealed record RescoringWeights
{
    /// <summary>The weight of a first-pass score that <see cref="Scores"/> does not name: it counts as it is.</summary>
    public const double DefaultScoreWeight = 1;

    /// <summary>The largest magnitude a score or a weight may have, so that no combination of them overflows.</summary>
    public const double MaxMagnitude = 1e12;

    /// <summary>The weight of the language model's natural-log probability of the hypothesis (its words and <c>&lt;/s&gt;</c>).</summary>
    public double Lm { get; init; } = 1;

    /// <summary>Added once per word (<c>&lt;/s&gt;</c> not counted); negative to favour shorter hypotheses.</summary>
    public double WordInsertionPenalty { get; init; }

    /// <summary>The weights of the first-pass scores by name; a score named here by no hypothesis is an error (<see cref="Rescorer.Check"/>).</summary>
    public IReadOnlyDictionary<string, double> Scores { get; init; } = new Dictionary<string, double>();

    /// <summary>The weight of the first-pass score <paramref name="name"/>: as given, else <see cref="DefaultScoreWeight"/>.</summary>
    public double ScoreWeight(string name) => Scores.TryGetValue(name, out var weight) ? weight : DefaultScoreWeight;
}

/// <summary>A hypothesis rescored.</summary>
/// <param name="Index">Its position in the utterance's hypotheses as given, from 0.</param>
/// <param name="Rank">Its place after rescoring, from 1 (the best).</param>
/// <param name="Tokens">Its words as scored.</param>
/// <param name="UnknownCount">How many of them the RNN scored as <c>&lt;unk&gt;</c>.</param>
/// <param name="RnnLogProb">Natural log of the RNN's probability of its words and <c>&lt;/s&gt;</c>: what /score gives for the same tokens.</param>
/// <param name="NGramLogProb">With an n-gram model: the n-gram's, folded onto the RNN's vocabulary; else null.</param>
/// <param name="LmLogProb">The language model's natural-log probability used in the combination: the mixture's at λ with an n-gram, else the RNN's.</param>
/// <param name="Combined">The combined score (<see cref="Rescorer.Combine"/>): higher is better.</param>
/// <param name="Scores">The first-pass scores as given.</param>
public sealed record RescoredHypothesis(
    int Index, int Rank, IReadOnlyList<string> Tokens, int UnknownCount, double RnnLogProb, double? NGramLogProb, double LmLogProb, double Combined,
    IReadOnlyDictionary<string, double> Scores)
{
    /// <summary>Words, <c>&lt;/s&gt;</c> not counted: what the word insertion penalty multiplies.</summary>
    public int WordCount => Tokens.Count;
}

/// <summary>An utterance rescored: its hypotheses best first.</summary>
public sealed record RescoredUtterance(string Id, IReadOnlyList<RescoredHypothesis> Hypotheses)
{
    public RescoredHypothesis Best => Hypotheses[0];
}

/// <summary>A reason an n-best input cannot be rescored, with where it is: <c>utterances[2].hypotheses[0].scores.acoustic</c>.</summary>
/// <param name="Utterance">The utterance's index, or -1 for the weights.</param>
/// <param name="Hypothesis">The hypothesis' index in the utterance, or -1 when the problem is not one hypothesis'.</param>
/// <param name="Field">The JSON path of the field at fault.</param>
/// <param name="Message">One sentence saying what is wrong.</param>
public sealed record RescoringProblem(int Utterance, int Hypothesis, string Field, string Message);
