using System.ComponentModel;
using System.Text.Json.Serialization;
using RnnLm.Api.Infrastructure;
using RnnLm.Api.Models;
using RnnLm.Engine.Rescoring;
using RnnLm.Engine.Text;

namespace RnnLm.Api.Rescoring;

[Description("N-best lists to rescore: utterances, each with its hypotheses and their first-pass scores, and the weights that combine them.")]
public sealed record RescoreRequest : IDocumentedExample<RescoreRequest>
{
    [Description("The utterances, at most RnnLm:MaxRescoreUtterances, each id once; all their hypotheses together hold at most RnnLm:MaxRescoreTokens words.")]
    public UtteranceInput?[]? Utterances { get; init; }

    [Description("How the scores combine. Absent: the language model's log-probability with weight 1, no word insertion penalty, every first-pass score with weight 1.")]
    public WeightsInput? Weights { get; init; }

    public static RescoreRequest Example => new()
    {
        Utterances =
        [
            new UtteranceInput
            {
                Id = "u1",
                Hypotheses =
                [
                    new HypothesisInput { Text = "The jury said it did find no evidence.", Scores = new() { ["acoustic"] = -1234.5 } },
                    new HypothesisInput { Text = "The jury sad it did find no evidence.", Scores = new() { ["acoustic"] = -1230.25 } },
                    new HypothesisInput { Tokens = ["The", "jewelry", "said", "it", "did", "find", "no", "evidence", "."], Scores = new() { ["acoustic"] = -1233 } },
                ],
            },
            new UtteranceInput
            {
                Id = "u2",
                Hypotheses =
                [
                    new HypothesisInput { Text = "It was a good day.", Scores = new() { ["acoustic"] = -802 } },
                    new HypothesisInput { Text = "It was a god day.", Scores = new() { ["acoustic"] = -801.5 } },
                ],
            },
        ],
        Weights = new WeightsInput { Lm = 10, WordInsertionPenalty = -0.5, Scores = new() { ["acoustic"] = 1 } },
    };

    /// <summary>A request whose weights name a score no hypothesis has: refused, naming the field.</summary>
    public static RescoreRequest UnknownWeightExample => Example with { Weights = new WeightsInput { Scores = new() { ["acoustics"] = 0.1 } } };

    /// <summary>The engine's utterances and weights, or the errors that stop this request (each naming its field).</summary>
    public (IReadOnlyList<Utterance> Utterances, RescoringWeights Weights) ToNBest(RnnLmOptions limits, ValidationErrors errors)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(errors);
        var weights = Weights?.ToEngine() ?? new RescoringWeights();
        if (Utterances is null || Utterances.Length == 0)
        {
            errors.Add("utterances", "Must contain at least one utterance.");
            return ([], weights);
        }

        if (Utterances.Length > limits.MaxRescoreUtterances)
        {
            errors.Add("utterances", $"Has {Utterances.Length:N0} utterances; at most {limits.MaxRescoreUtterances:N0} are rescored per request (RnnLm:MaxRescoreUtterances).");
            return ([], weights);
        }

        var utterances = new List<Utterance>(Utterances.Length);
        long words = 0;
        for (var u = 0; u < Utterances.Length && !errors.IsFull; u++)
        {
            if (Utterances[u]?.ToEngine($"utterances[{u}]", limits, errors) is { } utterance)
            {
                utterances.Add(utterance);
                words += utterance.Hypotheses.Sum(h => (long)h.Tokens.Count);
            }
            else if (Utterances[u] is null)
            {
                errors.Add($"utterances[{u}]", "Must not be null.");
            }
        }

        if (words > limits.MaxRescoreTokens)
        {
            errors.Add("utterances", $"The hypotheses hold {words:N0} words in all; at most {limits.MaxRescoreTokens:N0} are rescored per request (RnnLm:MaxRescoreTokens).");
        }

        if (errors.IsEmpty)
        {
            foreach (var problem in Rescorer.Check(utterances, weights))
            {
                errors.Add(problem.Field, problem.Message);
            }
        }

        return (utterances, weights);
    }
}

[Description("One utterance: its id and its hypotheses in the first pass's order (the order breaks ties).")]
public sealed record UtteranceInput
{
    [Description("The utterance's id, kept in the answer; unique within the request. At most 256 characters.")]
    public string? Id { get; init; }

    [Description("The hypotheses, at least one and at most RnnLm:MaxHypothesesPerUtterance; each answered with its index in this list.")]
    public HypothesisInput?[]? Hypotheses { get; init; }

    /// <summary>The longest utterance id accepted.</summary>
    public const int MaxIdLength = 256;

    internal Utterance? ToEngine(string at, RnnLmOptions limits, ValidationErrors errors)
    {
        var valid = errors.CheckText($"{at}.id", Id);
        if (valid && Id!.Length > MaxIdLength)
        {
            errors.Add($"{at}.id", $"Is {Id.Length:N0} characters long; an id has at most {MaxIdLength}.");
            valid = false;
        }

        if (Hypotheses is null || Hypotheses.Length == 0)
        {
            errors.Add($"{at}.hypotheses", "Must contain at least one hypothesis.");
            return null;
        }

        if (Hypotheses.Length > limits.MaxHypothesesPerUtterance)
        {
            errors.Add($"{at}.hypotheses", $"Has {Hypotheses.Length:N0} hypotheses; at most {limits.MaxHypothesesPerUtterance:N0} are allowed per utterance (RnnLm:MaxHypothesesPerUtterance).");
            return null;
        }

        var hypotheses = new Hypothesis[Hypotheses.Length];
        for (var h = 0; h < hypotheses.Length && !errors.IsFull; h++)
        {
            var field = $"{at}.hypotheses[{h}]";
            if (Hypotheses[h] is not { } hypothesis)
            {
                errors.Add(field, "Must not be null.");
                valid = false;
            }
            else if (hypothesis.Words(field, limits, errors) is { } tokens)
            {
                hypotheses[h] = new Hypothesis(tokens, hypothesis.Scores ?? []);
            }
            else
            {
                valid = false;
            }
        }

        return valid && errors.IsEmpty ? new Utterance(Id!, hypotheses) : null;
    }
}

[Description("One hypothesis: its words, as raw text or as tokens, and its first-pass scores.")]
public sealed record HypothesisInput
{
    [Description("The hypothesis as raw text: tokenized as one sentence the way POST /score tokenizes `sentences` (never split further). Give this or tokens.")]
    public string? Text { get; init; }

    [Description("The hypothesis already tokenized, scored exactly as given (case matters). Give this or text.")]
    public string[]? Tokens { get; init; }

    [Description("First-pass scores by name (e.g. acoustic and n-gram log-likelihoods): finite numbers, higher meaning better; each enters the combined score "
        + "times its weight (weights.scores, 1 when not named). Every hypothesis of an utterance must have the same names; at most 16.")]
    public Dictionary<string, double>? Scores { get; init; }

    internal string[]? Words(string field, RnnLmOptions limits, ValidationErrors errors)
    {
        if ((Text is null) == (Tokens is null))
        {
            errors.Add(field, "Give exactly one of text or tokens.");
            return null;
        }

        if (Tokens is not null)
        {
            return errors.CheckSentence($"{field}.tokens", Tokens, limits.MaxTokensPerSentence) ? Tokens : null;
        }

        if (!errors.CheckText($"{field}.text", Text))
        {
            return null;
        }

        var tokens = BrownTokenizer.Tokenize(Text!);
        return errors.CheckSentence($"{field}.text", tokens, limits.MaxTokensPerSentence) ? tokens : null;
    }
}

[Description("How a hypothesis' combined score is made: Σ_k scores[k]·score_k + lm·lmLogProb + wordInsertionPenalty·wordCount.")]
public sealed record WeightsInput
{
    [Description("Weight of the language model's natural-log probability of the hypothesis (its words and </s>).")]
    [DefaultValue(1.0)]
    public double? Lm { get; init; }

    [Description("Added once per word (</s> not counted); negative favours shorter hypotheses.")]
    [DefaultValue(0.0)]
    public double? WordInsertionPenalty { get; init; }

    [Description("λ, the RNN's weight in P = λ·P_rnn + (1 − λ)·P_ngram per token, from 0 to 1, for a model that carries an n-gram model. "
        + "Absent: RnnLm:Lambda (0.75 unless configured). A model without an n-gram accepts only 1.")]
    public double? Lambda { get; init; }

    [Description("Weights of the first-pass scores by name; a score not named here counts with weight 1. A name no hypothesis has is an error.")]
    public Dictionary<string, double>? Scores { get; init; }

    internal RescoringWeights ToEngine()
    {
        var defaults = new RescoringWeights();
        return new RescoringWeights
        {
            Lm = Lm ?? defaults.Lm,
            WordInsertionPenalty = WordInsertionPenalty ?? defaults.WordInsertionPenalty,
            Scores = Scores ?? [],
        };
    }
}

[Description("One hypothesis rescored.")]
public sealed record RescoredHypothesisResult(
    [property: Description("Its position in the utterance's hypotheses as sent, from 0.")] int Index,
    [property: Description("Its place after rescoring, from 1 (the best).")] int Rank,
    [property: Description("Its words as scored (text tokenized).")] IReadOnlyList<string> Tokens,
    [property: Description("Words, </s> not counted: what the word insertion penalty multiplies.")] int WordCount,
    [property: Description("How many words the RNN scored as <unk>.")] int UnknownCount,
    [property: Description("Natural log of the RNN's probability of the words and </s>: what POST /score gives as the sentence's logProb for the same tokens (without an n-gram).")] double RnnLogProb,
    [property: Description("The language model's natural-log probability that enters the combination: the mixture's at λ with an n-gram model, else rnnLogProb.")] double LmLogProb,
    [property: Description("The combined score: higher is better; the hypotheses are ordered by it, ties in the order sent.")] double Combined,
    [property: Description("The first-pass scores as sent.")] IReadOnlyDictionary<string, double> Scores)
{
    [Description("With an n-gram only: natural log of the n-gram's probability of the words and </s>, over the RNN's vocabulary.")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("ngramLogProb")]
    public double? NGramLogProb { get; init; }

    public static RescoredHypothesisResult Of(RescoredHypothesis h)
    {
        ArgumentNullException.ThrowIfNull(h);
        return new(h.Index, h.Rank, h.Tokens, h.WordCount, h.UnknownCount, h.RnnLogProb, h.LmLogProb, h.Combined, h.Scores) { NGramLogProb = h.NGramLogProb };
    }
}

[Description("One utterance rescored: its hypotheses best first.")]
public sealed record RescoredUtteranceResult(
    [property: Description("The utterance's id as sent.")] string Id,
    [property: Description("Every hypothesis, best first (rank 1).")] IReadOnlyList<RescoredHypothesisResult> Hypotheses);

[Description("The weights that were applied, defaults filled in.")]
public sealed record AppliedWeights(
    [property: Description("Weight of lmLogProb.")] double Lm,
    [property: Description("Added per word.")] double WordInsertionPenalty,
    [property: Description("The weight of every first-pass score the request has.")] IReadOnlyDictionary<string, double> Scores);

[Description("The utterances rescored, in the order sent.")]
public sealed record RescoreResponse(
    [property: Description("Id of the model that scored the hypotheses.")] string Model,
    [property: Description("How the combined score is defined.")] string Combination,
    [property: Description("The weights applied.")] AppliedWeights Weights,
    [property: Description("Hypotheses scored.")] int HypothesisCount,
    [property: Description("Tokens the language model predicted: every word and one </s> per hypothesis.")] int TokenCount,
    [property: Description("The utterances in the order sent, each with its hypotheses best first.")] IReadOnlyList<RescoredUtteranceResult> Utterances) : MixingAnswer
{
    /// <summary>The definition of <c>combined</c>, as the answer states it.</summary>
    public const string Definition = "combined = Σ_k weights.scores[k]·scores[k] + weights.lm·lmLogProb + weights.wordInsertionPenalty·wordCount; "
        + "lmLogProb is the natural log of P(words </s>), each hypothesis scored alone from <s>; best first, ties in the order sent";
}
