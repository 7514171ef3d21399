using RnnLm.Engine.Inference;
using RnnLm.Engine.Model;

namespace RnnLm.Engine;

/// <summary>
/// A trained recurrent language model (sigmoid, GRU or LSTM hidden layer), immutable once built: every method is safe to call from many
/// threads at once. Scratch memory comes from a pool of per-call sessions, so calls take no lock.
/// </summary>
/// <remarks>
/// A sentence is scored from h(0) = 0 with <c>&lt;s&gt;</c> as the first context; every word and a final
/// <c>&lt;/s&gt;</c> are predicted; words outside the vocabulary are scored as <c>&lt;unk&gt;</c>.
/// Probabilities are computed in single precision: log-probabilities are accurate to about 1e-5 nats.
/// The work itself lives in <c>Inference/</c>: sessions, scoring, sampling and top-k.
/// </remarks>
public sealed class LanguageModel
{
    private readonly SessionPool _sessions;

    /// <summary>Assembles a model from its parts; the weights are owned by the model from then on.</summary>
    /// <param name="vocabulary">The words, with their training counts.</param>
    /// <param name="classes">The word classes of a class-factorized output; null otherwise.</param>
    /// <param name="parameters">The weights.</param>
    /// <param name="metadata">The model card's JSON.</param>
    /// <param name="tree">The word tree of a tree output; null otherwise, where a tree output takes the Huffman tree of the
    /// vocabulary's counts (<see cref="WordTree.FromCounts"/>).</param>
    /// <exception cref="ArgumentException">The parts disagree on the vocabulary size or the output layer.</exception>
    public LanguageModel(Vocabulary vocabulary, ClassMap? classes, Parameters<float> parameters, string metadata = "{}", WordTree? tree = null)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(parameters);
        var shape = parameters.Shape;
        if (vocabulary.Count != shape.VocabularySize)
        {
            throw new ArgumentException($"The vocabulary has {vocabulary.Count} words but the weights expect {shape.VocabularySize}.");
        }

        if ((classes is not null) != (shape.Output == OutputKind.Classes) || (classes is not null && (classes.ClassCount != shape.ClassCount || classes.VocabularySize != vocabulary.Count)))
        {
            throw new ArgumentException("The class map does not match the output layer.");
        }

        if (tree is not null && (shape.Output != OutputKind.Tree || tree.VocabularySize != vocabulary.Count))
        {
            throw new ArgumentException("The word tree does not match the output layer.");
        }

        Vocabulary = vocabulary;
        Classes = classes;
        Tree = shape.Output == OutputKind.Tree ? tree ?? WordTree.FromCounts(vocabulary.Counts) : null;
        Parameters = parameters;
        Metadata = metadata ?? "{}";
        _sessions = new SessionPool(this);
    }

    public Vocabulary Vocabulary { get; }

    public ClassMap? Classes { get; }

    /// <summary>The word tree of a tree output (<see cref="OutputKind.Tree"/>); null for the other kinds.</summary>
    public WordTree? Tree { get; }

    public ModelShape Shape => Parameters.Shape;

    /// <summary>Free-form JSON describing the model (its card): kept in the model file.</summary>
    public string Metadata { get; }

    internal Parameters<float> Parameters { get; }

    /// <summary>Scores one tokenized sentence.</summary>
    /// <exception cref="ArgumentException">The sentence is null.</exception>
    public SentenceScore Score(IReadOnlyList<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        return Scorer.Sentence(_sessions, Vocabulary, tokens);
    }

    /// <summary>
    /// For each predicted token of one tokenized sentence (its words, then <c>&lt;/s&gt;</c>, as <see cref="Score"/> lists them): its rank
    /// in the next-word distribution after the words before it, and the <paramref name="alternatives"/> most probable words there,
    /// the candidates <see cref="Next"/> gives for that prefix. A word outside the vocabulary is ranked as <c>&lt;unk&gt;</c>.
    /// </summary>
    /// <remarks>Computes the whole distribution at every position: about the cost of one <see cref="Next"/> per token.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alternatives"/> is negative.</exception>
    public IReadOnlyList<TokenRanking> Rank(IReadOnlyList<string> tokens, int alternatives)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentOutOfRangeException.ThrowIfNegative(alternatives);
        return Ranker.Sentence(_sessions, Vocabulary, tokens, alternatives);
    }

    /// <summary>
    /// Token-weighted score of many sentences, batched so that the output layer runs as matrix products;
    /// <paramref name="threads"/> splits the sentences between threads without changing the result.
    /// </summary>
    public CorpusScore ScoreCorpus(IReadOnlyList<IReadOnlyList<string>> sentences, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        return Scorer.Corpus(_sessions, Vocabulary, sentences, threads);
    }

    /// <summary>
    /// The natural-log probability of every predicted token, a row per sentence (its words, then <c>&lt;/s&gt;</c>), batched
    /// and split between threads as <see cref="ScoreCorpus"/> is; each entry is the one <see cref="Score"/> gives.
    /// </summary>
    public float[][] TokenLogProbs(IReadOnlyList<IReadOnlyList<string>> sentences, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        return Scorer.TokenLogProbs(_sessions, Vocabulary, sentences, threads);
    }

    /// <summary>P(w | prefix) for every vocabulary id w (index = id); sums to 1 within float rounding.</summary>
    public float[] NextDistribution(IReadOnlyList<string> prefix)
    {
        var probabilities = new float[Vocabulary.Count];
        NextDistribution(prefix, probabilities);
        return probabilities;
    }

    /// <summary>Writes P(w | prefix) for every vocabulary id w into <paramref name="destination"/> (|V| long), allocating nothing large.</summary>
    /// <exception cref="ArgumentException">The destination is not |V| long.</exception>
    public void NextDistribution(IReadOnlyList<string> prefix, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (destination.Length != Vocabulary.Count)
        {
            throw new ArgumentException($"The destination must hold {Vocabulary.Count} probabilities.", nameof(destination));
        }

        using var lease = _sessions.Rent();
        lease.Session.Follow(Vocabulary.Map(prefix));
        lease.Session.Distribution(destination);
    }

    /// <summary>The <paramref name="top"/> most probable next tokens after <paramref name="prefix"/>, and P(<c>&lt;/s&gt;</c>).</summary>
    /// <remarks>The probabilities are those of <see cref="NextDistribution(IReadOnlyList{string})"/>, without computing it all for a class-factorized output.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="top"/> is below 1.</exception>
    public NextWords Next(IReadOnlyList<string> prefix, int top)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        (int Id, float Probability)[] best;
        float endOfSentence;
        using (var lease = _sessions.Rent())
        {
            lease.Session.Follow(Vocabulary.Map(prefix));
            best = lease.Session.Next(top, out endOfSentence);
        }

        var seen = prefix.Select(w => Vocabulary[Vocabulary.IdOf(w)]).ToArray();
        return new NextWords(seen, [.. best.Select(x => new WordProbability(Vocabulary[x.Id], x.Probability))], endOfSentence);
    }

    /// <summary>
    /// Starts a running text at the start of a sentence, to feed a few tokens at a time, each call costing the new tokens only
    /// (<see cref="StreamingState"/>): the same log-probabilities as <see cref="Score"/>, bit for bit.
    /// </summary>
    public StreamingState BeginStream() => new(this, _sessions);

    /// <summary>
    /// Continues <paramref name="prefix"/> by sampling, stopping at <c>&lt;/s&gt;</c> or after
    /// <see cref="SamplingOptions.MaxTokens"/>. Deterministic for a seed. <c>&lt;unk&gt;</c> may be sampled.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A sampling option is out of range.</exception>
    public Generation Generate(IReadOnlyList<string> prefix, SamplingOptions options)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(options);
        return Sampler.Generate(_sessions, Vocabulary, prefix, options);
    }
}
