using System.Buffers;
using RnnLm.Engine.Inference;
using RnnLm.Engine.NGram;

namespace RnnLm.Engine.Interpolation;

/// <summary>
/// An RNN language model interpolated with an n-gram model: P(w | h) = λ·P_rnn(w | h) + (1 − λ)·P_ngram(w | h) per token, in
/// probability space, with λ chosen per call. Immutable and safe to use from many threads at once.
/// </summary>
/// <remarks>
/// <para>The mixture is a distribution over the RNN's vocabulary, <c>&lt;unk&gt;</c> and <c>&lt;/s&gt;</c> included. The n-gram's
/// distribution is folded onto that vocabulary: a word both models know gets the n-gram's probability of it; the RNN's
/// <c>&lt;unk&gt;</c> gets the n-gram's probability of every word only the n-gram knows; the n-gram's own <c>&lt;unk&gt;</c> mass is
/// split evenly between the RNN's <c>&lt;unk&gt;</c> and each word only the RNN knows. So the mixture sums to 1 (to the precision of
/// the two models: single-precision tables and softmax, about 1e-7), whatever the two vocabularies, and a token's score is its
/// entry in the distribution: a word outside the RNN's vocabulary is scored as <c>&lt;unk&gt;</c> by both components. Each model
/// reads the context through its own vocabulary: the n-gram sees a word it knows even where the RNN sees <c>&lt;unk&gt;</c>.</para>
/// <para>λ = 1 gives the RNN's figures exactly; λ = 0 the folded n-gram's, which are exactly the n-gram model's own when the two
/// vocabularies agree (as when both were made from the same text with the same minimum count).</para>
/// <para>Cost: one n-gram lookup per scored token beside the RNN's work; a token the RNN scores as <c>&lt;unk&gt;</c> also costs
/// one lookup per word only the n-gram knows (none when the vocabularies agree). A next-word distribution costs |V| lookups.</para>
/// </remarks>
public sealed class InterpolatedModel
{
    private readonly VocabularyBridge _bridge;

    /// <summary>Pairs the two models and works out how their vocabularies meet.</summary>
    /// <exception cref="InvalidDataException">The n-gram model has no <c>&lt;s&gt;</c> or no <c>&lt;/s&gt;</c>.</exception>
    public InterpolatedModel(LanguageModel rnn, NGramModel ngram)
    {
        ArgumentNullException.ThrowIfNull(rnn);
        ArgumentNullException.ThrowIfNull(ngram);
        Rnn = rnn;
        NGram = ngram;
        _bridge = new VocabularyBridge(rnn.Vocabulary, ngram);
    }

    /// <summary>The RNN, weighted λ.</summary>
    public LanguageModel Rnn { get; }

    /// <summary>The n-gram model, weighted 1 − λ.</summary>
    public NGramModel NGram { get; }

    /// <summary>Words both models know, <c>&lt;/s&gt;</c> included, <c>&lt;unk&gt;</c> not.</summary>
    public int SharedWords => _bridge.SharedWords;

    /// <summary>Words only the RNN knows: each gets an even share of the n-gram's <c>&lt;unk&gt;</c>.</summary>
    public int RnnOnlyWords => _bridge.RnnOnlyWords;

    /// <summary>Words only the n-gram knows (<c>&lt;s&gt;</c> and <c>&lt;unk&gt;</c> aside): their probability goes to the RNN's <c>&lt;unk&gt;</c>.</summary>
    public int NGramOnlyWords => _bridge.NGramOnlyWords;

    /// <summary>Both components of every predicted token of one sentence (its words and <c>&lt;/s&gt;</c>).</summary>
    public SentenceComponents Components(IReadOnlyList<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var rnn = Rnn.Score(tokens);
        var context = _bridge.Context(tokens);
        var components = new TokenComponents[rnn.Tokens.Count];
        var vocabulary = Rnn.Vocabulary;
        for (var i = 0; i < components.Length; i++)
        {
            var token = rnn.Tokens[i];
            var ngram = _bridge.LogProb(context.AsSpan(0, i + 1), vocabulary.IdOf(token.ModelToken));
            components[i] = new TokenComponents(token.Token, token.ModelToken, token.LogProb, ngram);
        }

        return new SentenceComponents(components);
    }

    /// <summary>
    /// Both components of every predicted token of many sentences: the RNN batched and split between threads as
    /// <see cref="LanguageModel.ScoreCorpus"/> is, the n-gram's lookups split between the same threads.
    /// </summary>
    public CorpusComponents CorpusComponents(IReadOnlyList<IReadOnlyList<string>> sentences, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        var rnnRows = Rnn.TokenLogProbs(sentences, threads);
        var starts = new int[sentences.Count + 1];
        for (var s = 0; s < sentences.Count; s++)
        {
            starts[s + 1] = starts[s] + rnnRows[s].Length;
        }

        var rnn = new double[starts[^1]];
        var ngram = new double[starts[^1]];
        var unknown = new long[sentences.Count];
        var vocabulary = Rnn.Vocabulary;
        Parallel.For(0, sentences.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, s =>
        {
            var tokens = sentences[s];
            var context = _bridge.Context(tokens);
            for (var i = 0; i <= tokens.Count; i++)
            {
                var id = i < tokens.Count ? vocabulary.IdOf(tokens[i]) : vocabulary.EndOfSentence;
                unknown[s] += id == vocabulary.Unknown ? 1 : 0;
                rnn[starts[s] + i] = rnnRows[s][i];
                ngram[starts[s] + i] = _bridge.LogProb(context.AsSpan(0, i + 1), id);
            }
        });

        return new CorpusComponents(rnn, ngram, starts, unknown.Sum());
    }

    /// <summary>One sentence scored by the mixture; with λ = 1, exactly <see cref="LanguageModel.Score"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">λ is not in [0, 1].</exception>
    /// <exception cref="InvalidDataException">A token has probability 0 under the mixture (λ = 0 and a closed-vocabulary n-gram lacking it).</exception>
    public SentenceScore Score(IReadOnlyList<string> tokens, double lambda)
    {
        CheckLambda(lambda);
        return Components(tokens).Mix(lambda);
    }

    /// <summary>Token-weighted score of many sentences under the mixture; with λ = 1, exactly <see cref="LanguageModel.ScoreCorpus"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">λ is not in [0, 1].</exception>
    /// <exception cref="InvalidDataException">As for <see cref="Score"/>.</exception>
    public CorpusScore ScoreCorpus(IReadOnlyList<IReadOnlyList<string>> sentences, double lambda, int threads = 1)
    {
        CheckLambda(lambda);
        return lambda == 1 ? Rnn.ScoreCorpus(sentences, threads) : CorpusComponents(sentences, threads).Mix(lambda);
    }

    /// <summary>
    /// Writes the mixture's P(w | prefix) for every RNN vocabulary id w into <paramref name="destination"/> (|V| long), in
    /// double precision; it sums to 1 to the two models' precision. Costs the RNN's distribution and |V| n-gram lookups.
    /// </summary>
    /// <exception cref="ArgumentException">The destination is not |V| long.</exception>
    /// <exception cref="ArgumentOutOfRangeException">λ is not in [0, 1].</exception>
    public void NextDistribution(IReadOnlyList<string> prefix, double lambda, Span<double> destination)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        CheckLambda(lambda);
        var size = Rnn.Vocabulary.Count;
        if (destination.Length != size)
        {
            throw new ArgumentException($"The destination must hold {size} probabilities.", nameof(destination));
        }

        var rnn = ArrayPool<float>.Shared.Rent(size);
        try
        {
            Rnn.NextDistribution(prefix, rnn.AsSpan(0, size));
            if (lambda < 1)
            {
                _bridge.Distribution(_bridge.Context(prefix), destination);
            }

            for (var w = 0; w < size; w++)
            {
                destination[w] = lambda == 1 ? rnn[w] : (lambda * rnn[w]) + ((1 - lambda) * destination[w]);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rnn);
        }
    }

    /// <summary>The mixture's <paramref name="top"/> most probable next tokens and P(<c>&lt;/s&gt;</c>); with λ = 1, exactly <see cref="LanguageModel.Next"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="top"/> is below 1, or λ is not in [0, 1].</exception>
    public NextWords Next(IReadOnlyList<string> prefix, int top, double lambda)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        CheckLambda(lambda);
        if (lambda == 1)
        {
            return Rnn.Next(prefix, top);
        }

        var vocabulary = Rnn.Vocabulary;
        var mixed = new double[vocabulary.Count];
        NextDistribution(prefix, lambda, mixed);
        var ranked = TopK.Ids(Array.ConvertAll(mixed, p => (float)p), top);
        var seen = prefix.Select(w => vocabulary[vocabulary.IdOf(w)]).ToArray();
        return new NextWords(seen, [.. ranked.Select(id => new WordProbability(vocabulary[id], mixed[id]))], mixed[vocabulary.EndOfSentence]);
    }

    private static void CheckLambda(double lambda)
    {
        if (!Mixture.IsValidLambda(lambda))
        {
            throw new ArgumentOutOfRangeException(nameof(lambda), lambda, Mixture.LambdaRule);
        }
    }
}
