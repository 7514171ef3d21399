using System.ComponentModel;
using RnnLm.Api.Infrastructure;
using RnnLm.Api.Models;

namespace RnnLm.Api.Prediction;

[Description("A word and its probability after the prefix.")]
public sealed record Candidate(
    [property: Description("The token (a vocabulary word, <unk> or </s>).")] string Token,
    [property: Description("P(token | prefix).")] double Probability,
    [property: Description("Natural log of the probability.")] double LogProb)
{
    /// <summary>The engine's word and probability; below float's smallest probability, log(float.Epsilon) ≈ -103.3 rather than -infinity.</summary>
    public static Candidate Of(RnnLm.Engine.Inference.WordProbability word) => new(word.Token, word.Probability, Math.Log(Math.Max(word.Probability, float.Epsilon)));
}

[Description("The probability of a word the caller asked about.")]
public sealed record WordResult(
    [property: Description("The word as asked.")] string Token,
    [property: Description("P(word | prefix); a word outside the vocabulary gets the probability of <unk>.")] double Probability,
    [property: Description("Natural log of the probability, computed exactly as POST /score does.")] double LogProb,
    [property: Description("True when the word is not in the vocabulary and was scored as <unk>.")] bool Unknown);

[Description("The distribution of the next word after a prefix.")]
public sealed record NextResponse(
    [property: Description("Id of the model used.")] string Model,
    [property: Description("The prefix tokens as the model saw them: words outside the vocabulary appear as <unk>. Empty for the sentence start.")] IReadOnlyList<string> Prefix,
    [property: Description("The most probable next tokens, most probable first (</s> may be among them).")] IReadOnlyList<Candidate> Candidates,
    [property: Description("P(</s> | prefix): the probability that the sentence ends here.")] double EndOfSentenceProbability,
    [property: Description("The probability of the word given in `word`, when one was given.")] WordResult? Word) : MixingAnswer;

[Description("How to continue a prefix by sampling.")]
public sealed record GenerateRequest : IDocumentedExample<GenerateRequest>
{
    [Description("Raw text to continue, tokenized like POST /tokenize; empty to start a new sentence.")]
    public string Prefix { get; init; } = "";

    [Description("Most tokens to add; generation also stops at </s>. At most RnnLm:MaxGenerateTokens.")]
    [DefaultValue(20)]
    public int MaxTokens { get; init; } = 20;

    [Description("Sampling temperature, above 0 and at most 100: below 1 sharpens the distribution, above 1 flattens it.")]
    [DefaultValue(1.0)]
    public double Temperature { get; init; } = 1.0;

    [Description("Sample only among the k most probable words; 0 (or any number at least the vocabulary size) for all words.")]
    [DefaultValue(40)]
    public int TopK { get; init; } = 40;

    [Description("Random seed: the same seed, prefix, settings and model give the same text.")]
    [DefaultValue(1)]
    public int Seed { get; init; } = 1;

    public static GenerateRequest Example => new() { Prefix = "The jury said", MaxTokens = 20, Temperature = 0.8, TopK = 40, Seed = 69 };
}

[Description("A sampled continuation.")]
public sealed record GenerateResponse(
    [property: Description("Id of the model used.")] string Model,
    [property: Description("The prefix tokens as the model saw them (<unk> for unknown words).")] IReadOnlyList<string> Prefix,
    [property: Description("The sampled tokens in order, each with its probability under the unmodified distribution; </s> last if the sentence ended.")] IReadOnlyList<Candidate> Tokens,
    [property: Description("The sampled words joined by spaces, </s> left out.")] string Text,
    [property: Description("True when </s> was sampled; false when maxTokens was reached first.")] bool EndedSentence);
