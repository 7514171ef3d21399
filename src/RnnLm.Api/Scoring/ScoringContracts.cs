using System.ComponentModel;
using System.Text.Json.Serialization;
using RnnLm.Api.Infrastructure;
using RnnLm.Api.Models;
using RnnLm.Api.Prediction;
using RnnLm.Engine.Text;

namespace RnnLm.Api.Scoring;

[Description("Text to score, in exactly one of three forms: raw text, one string per sentence, or sentences already split into tokens.")]
public sealed record ScoreRequest : IDocumentedExample<ScoreRequest>
{
    [Description("Raw text: split into sentences and tokenized the way the Brown corpus is (see POST /tokenize).")]
    public string? Text { get; init; }

    [Description("One string per sentence: each is tokenized but never split further.")]
    public string[]? Sentences { get; init; }

    [Description("Sentences already tokenized, scored exactly as given (case matters; use `` and '' for double quotes).")]
    public string[][]? Tokens { get; init; }

    [Description("Also give each token its rank in the model's distribution at its position and this many of the most probable words there "
        + "(what GET /next lists after the words before it); 0 or absent for none. At most RnnLm:MaxAlternatives. Costs about one GET /next per token.")]
    [DefaultValue(0)]
    public int? Alternatives { get; init; }

    public static ScoreRequest Example => new() { Text = "The jury said it did find no evidence. It was a Zyxqv." };

    /// <summary>The sentences to score, as token lists, or the errors that stop this request.</summary>
    public IReadOnlyList<string[]> ToSentences(RnnLmOptions limits, ValidationErrors errors)
    {
        var given = (Text is null ? 0 : 1) + (Sentences is null ? 0 : 1) + (Tokens is null ? 0 : 1);
        if (given != 1)
        {
            errors.Add(given == 0 ? "text" : "body", "Give exactly one of text, sentences or tokens.");
            return [];
        }

        if (Text is not null)
        {
            return errors.CheckText("text", Text) ? Limit("text", BrownTokenizer.Sentences(Text), limits, errors) : [];
        }

        if (Sentences is not null)
        {
            if (!CheckCount("sentences", Sentences.Length, limits, errors))
            {
                return [];
            }

            var sentences = new string[Sentences.Length][];
            for (var i = 0; i < Sentences.Length && !errors.IsFull; i++)
            {
                var field = $"sentences[{i}]";
                sentences[i] = errors.CheckText(field, Sentences[i]) ? BrownTokenizer.Tokenize(Sentences[i]) : [];
                if (sentences[i].Length > 0)
                {
                    errors.CheckSentence(field, sentences[i], limits.MaxTokensPerSentence);
                }
            }

            return sentences;
        }

        if (!CheckCount("tokens", Tokens!.Length, limits, errors))
        {
            return [];
        }

        for (var i = 0; i < Tokens.Length && !errors.IsFull; i++)
        {
            if (Tokens[i] is null)
            {
                errors.Add($"tokens[{i}]", "Must not be null.");
            }
            else
            {
                errors.CheckSentence($"tokens[{i}]", Tokens[i], limits.MaxTokensPerSentence);
            }
        }

        return Tokens;
    }

    private static bool CheckCount(string field, int count, RnnLmOptions limits, ValidationErrors errors)
    {
        if (count == 0)
        {
            errors.Add(field, "Must contain at least one sentence.");
            return false;
        }

        if (count > limits.MaxSentences)
        {
            errors.Add(field, $"Has {count:N0} sentences; at most {limits.MaxSentences:N0} are scored per request (RnnLm:MaxSentences).");
            return false;
        }

        return true;
    }

    private static IReadOnlyList<string[]> Limit(string field, IReadOnlyList<string[]> sentences, RnnLmOptions limits, ValidationErrors errors)
    {
        if (!CheckCount(field, sentences.Count, limits, errors))
        {
            return [];
        }

        for (var i = 0; i < sentences.Count && !errors.IsFull; i++)
        {
            if (sentences[i].Length > limits.MaxTokensPerSentence)
            {
                errors.Add(field, $"Sentence {i + 1} has {sentences[i].Length:N0} tokens; at most {limits.MaxTokensPerSentence:N0} are allowed per sentence (RnnLm:MaxTokensPerSentence).");
            }
            else
            {
                for (var j = 0; j < sentences[i].Length; j++)
                {
                    if (!errors.CheckToken(field, sentences[i][j]))
                    {
                        break;
                    }
                }
            }
        }

        return sentences;
    }
}

[Description("How the numbers in a score are defined.")]
public sealed record ScoringConventions : IDocumentedExample<ScoringConventions>
{
    public static readonly ScoringConventions Instance = new();

    public static ScoringConventions Example => Instance;

    [Description("Base of every logarithm: e (natural log, nats). Divide by ln 2 for bits.")]
    public string LogBase => "e";

    [Description("Each sentence's end-of-sentence token </s> is predicted and counted in tokenCount, logProb and perplexity.")]
    public bool EndOfSentenceCounted => true;

    [Description("The sentence start <s> is context only: never predicted, never counted.")]
    public string StartOfSentence => "context only, not predicted";

    [Description("Words outside the model's vocabulary are scored as the token <unk>, like any other word.")]
    public string UnknownWords => "scored as <unk>";

    [Description("Every sentence is scored independently, starting from an empty hidden state.")]
    public string Context => "each sentence scored independently";
}

[Description("Cross-entropy per predicted token.")]
public sealed record CrossEntropy(
    [property: Description("Mean negative natural-log probability per token.")] double Nats,
    [property: Description("The same in bits: nats / ln 2.")] double Bits);

[Description("One predicted token.")]
public sealed record TokenResult(
    [property: Description("The token as the model saw it after tokenization (the word as written, or </s>).")] string Token,
    [property: Description("Natural log of P(token | the sentence so far); with an n-gram, of the interpolation λ·P_rnn + (1 − λ)·P_ngram.")] double LogProb,
    [property: Description("True when the word is not in the vocabulary and was scored as <unk>.")] bool Unknown,
    [property: Description("With `alternatives`: 1 + the words more probable than this one at its position (an unknown word ranked as <unk>; ties by vocabulary order).")]
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Rank = null,
    [property: Description("With `alternatives`: the most probable words at this position, most probable first, as GET /next gives them for the words before it.")]
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<Candidate>? Alternatives = null)
{
    [Description("With an n-gram only: natural log of the RNN's P(token | the sentence so far).")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? RnnLogProb { get; init; }

    [Description("With an n-gram only: natural log of the n-gram's probability of the token, over the RNN's vocabulary (a word outside it counts as <unk>, "
        + "which takes the n-gram's probability of every word the RNN lacks).")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("ngramLogProb")]
    public double? NGramLogProb { get; init; }
}

[Description("The score of one sentence.")]
public sealed record SentenceResult(
    [property: Description("Every predicted token in order, </s> last.")] IReadOnlyList<TokenResult> Tokens,
    [property: Description("Predicted tokens, </s> included.")] int TokenCount,
    [property: Description("Natural log of the sentence's probability: the sum of its tokens' logProb.")] double LogProb,
    [property: Description("exp(-logProb / tokenCount).")] double Perplexity);

[Description("Scores of the sentences and of all of them together (token-weighted).")]
public sealed record ScoreResponse(
    [property: Description("Id of the model that scored the text.")] string Model,
    [property: Description("How the numbers are defined.")] ScoringConventions Conventions,
    [property: Description("Number of sentences scored.")] int SentenceCount,
    [property: Description("Predicted tokens over all sentences, </s> included.")] int TokenCount,
    [property: Description("How many of them were scored as <unk>.")] int UnknownCount,
    [property: Description("Natural log of the probability of all sentences: the sum of their logProb.")] double LogProb,
    [property: Description("-logProb / tokenCount, in nats and bits.")] CrossEntropy CrossEntropy,
    [property: Description("exp(crossEntropy.nats): the token-weighted perplexity over all sentences.")] double Perplexity,
    [property: Description("Each sentence with its tokens.")] IReadOnlyList<SentenceResult> Sentences) : MixingAnswer;
