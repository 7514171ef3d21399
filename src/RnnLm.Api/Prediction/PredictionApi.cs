using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using RnnLm.Api.Infrastructure;
using RnnLm.Api.Models;
using RnnLm.Engine.Inference;
using RnnLm.Engine.Text;

namespace RnnLm.Api.Prediction;

public static class PredictionApi
{
    public static IEndpointRouteBuilder MapPrediction(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/").WithDescribedTag("Prediction", "What comes next: the most probable next words after a prefix, and sampled continuations.");
        group.MapGet("next", Next)
            .WithName("Next")
            .WithSummary("The most probable next words after a prefix")
            .WithDescription("Tokenizes `prefix` (an empty prefix means the start of a sentence) and returns the `top` most probable next tokens "
                + "with their probabilities and natural-log probabilities, most probable first, and the probability that the sentence ends here (</s>). "
                + "With `word`, also returns that word's probability: the same number POST /score gives the word after the same prefix.")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithExample(parameters: [("prefix", "The jury"), ("top", 5), ("word", "said")])
            .WithExample(name: "topOutOfRange", parameters: [("prefix", "The"), ("top", 0)]);
        group.MapPost("generate", Generate)
            .WithName("Generate")
            .WithSummary("Continue a prefix by sampling")
            .WithDescription("Samples up to `maxTokens` tokens after `prefix`, one at a time, stopping at </s>. `temperature` reshapes the "
                + "distribution and `topK` restricts sampling to the k most probable words. The same seed, prefix, settings and model always give the same text.")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .WithExample(body: GenerateRequest.Example);
        return app;
    }

    public static Results<Ok<NextResponse>, ValidationProblem> Next(
        [Description("Text before the word to predict, tokenized like POST /tokenize. Empty or absent: the start of a sentence.")] string? prefix,
        [Description("How many candidates to return, from 1 to RnnLm:MaxTop.")][DefaultValue(10)] int? top,
        [Description("Optional: a word whose probability after the prefix to report as well (one token, used as given).")] string? word,
        [Description(ModelParameter.Description)] string? model,
        ModelRegistry models,
        IOptions<RnnLmOptions> options)
    {
        var limits = options.Value;
        var errors = new ValidationErrors();
        var tokens = Prefix("prefix", prefix, limits, errors);
        var count = top ?? 10;
        if (count < 1 || count > limits.MaxTop)
        {
            errors.Add("top", $"Must be between 1 and {limits.MaxTop:N0} (RnnLm:MaxTop).");
        }

        if (word is not null)
        {
            errors.CheckToken("word", word);
        }

        var loaded = errors.IsEmpty ? models.Resolve(model) : null;
        if (loaded is null)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary(), title: "The prediction cannot be made.");
        }

        var next = loaded.Model.Next(tokens, count);
        var candidates = next.Candidates.Select(ToCandidate).ToArray();
        WordResult? asked = null;
        if (word is not null)
        {
            // Scoring prefix + word gives the word's log-probability exactly as /score computes it, finite even when tiny.
            var score = loaded.Model.Score([.. tokens, word]).Tokens[tokens.Length];
            asked = new WordResult(word, Math.Exp(score.LogProb), score.LogProb, score.IsUnknown);
        }

        return TypedResults.Ok(new NextResponse(loaded.Id, next.Prefix, candidates, next.EndOfSentenceProbability, asked));
    }

    public static Results<Ok<GenerateResponse>, ValidationProblem> Generate(
        GenerateRequest request, [Description(ModelParameter.Description)] string? model, ModelRegistry models, IOptions<RnnLmOptions> options)
    {
        var limits = options.Value;
        var errors = new ValidationErrors();
        var tokens = Prefix("prefix", request.Prefix, limits, errors);
        if (request.MaxTokens < 1 || request.MaxTokens > limits.MaxGenerateTokens)
        {
            errors.Add("maxTokens", $"Must be between 1 and {limits.MaxGenerateTokens:N0} (RnnLm:MaxGenerateTokens).");
        }

        if (!double.IsFinite(request.Temperature) || request.Temperature <= 0 || request.Temperature > 100)
        {
            errors.Add("temperature", "Must be a number above 0 and at most 100.");
        }

        if (request.TopK < 0)
        {
            errors.Add("topK", "Must be 0 (all words) or more.");
        }

        var loaded = errors.IsEmpty ? models.Resolve(model) : null;
        if (loaded is null)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary(), title: "The text cannot be generated.");
        }

        var generation = loaded.Model.Generate(tokens, new SamplingOptions(request.MaxTokens, request.Temperature, request.TopK, request.Seed));
        var sampled = generation.Tokens.Select(ToCandidate).ToArray();
        RnnLmMetrics.TokensGenerated.Inc(sampled.Length);
        var text = string.Join(' ', generation.Tokens.Select(t => t.Token).Where(t => t != Engine.Model.Vocabulary.EndOfSentenceToken));
        return TypedResults.Ok(new GenerateResponse(loaded.Id, generation.Prefix, sampled, text, generation.EndedSentence));
    }

    // A probability below float's smallest value reports log(float.Epsilon) ≈ -103.3 rather than -infinity.
    internal static Candidate ToCandidate(WordProbability word) =>
        new(word.Token, word.Probability, Math.Log(Math.Max(word.Probability, float.Epsilon)));

    private static string[] Prefix(string field, string? text, RnnLmOptions limits, ValidationErrors errors)
    {
        // No prefix, or only white space: the start of a sentence.
        if (string.IsNullOrWhiteSpace(text) || !errors.CheckText(field, text))
        {
            return [];
        }

        var tokens = BrownTokenizer.Tokenize(text);
        return errors.CheckSentence(field, tokens, limits.MaxTokensPerSentence, allowEmpty: true) ? tokens : [];
    }
}
