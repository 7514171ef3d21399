using RnnLm.Engine.Interpolation;
using RnnLm.Engine.Model;
using RnnLm.Engine.NGram;
using RnnLm.Engine.Tests.NGram;

namespace RnnLm.Engine.Tests.Interpolation;

/// <summary>
/// Small RNN models paired with the hand corpus's trigram model (words a, b, c, &lt;/s&gt; and an unseen &lt;unk&gt;): one RNN with
/// exactly the n-gram's words, one whose vocabulary differs both ways (d and e only it knows, c only the n-gram knows).
/// </summary>
internal static class MixturePairs
{
    public static readonly string[] SameWords = [Vocabulary.EndOfSentenceToken, "c", "b", "a", Vocabulary.UnknownToken];

    public static readonly string[] DifferentWords = [Vocabulary.EndOfSentenceToken, "a", "b", "d", "e", Vocabulary.UnknownToken];

    public static NGramModel NGram { get; } = NGramModel.From(HandCorpus.Estimate());

    public static InterpolatedModel Same(OutputKind output = OutputKind.Full, int seed = 1) => new(Rnn(SameWords, output, seed), NGram);

    public static InterpolatedModel Different(OutputKind output = OutputKind.Full, int seed = 1) => new(Rnn(DifferentWords, output, seed), NGram);

    /// <summary>An RNN over <paramref name="words"/> (in id order) with random weights and biases: far from uniform, different for each seed.</summary>
    public static LanguageModel Rnn(string[] words, OutputKind output, int seed)
    {
        var vocabulary = new Vocabulary(words, [.. Enumerable.Range(0, words.Length).Select(i => (long)(100 - i))]);
        var classes = output == OutputKind.Classes ? ClassMap.ByFrequency(vocabulary, 2) : null;
        var parameters = new Parameters<float>(new ModelShape(words.Length, 3, 4, output, classes?.ClassCount ?? 0));
        ModelFileTests.Randomize(parameters, seed);
        return new LanguageModel(vocabulary, classes, parameters);
    }
}
