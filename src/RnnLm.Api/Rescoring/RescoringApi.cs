using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using RnnLm.Api.Infrastructure;
using RnnLm.Api.Models;
using RnnLm.Engine.Rescoring;

namespace RnnLm.Api.Rescoring;

public static class RescoringApi
{
    public static IEndpointRouteBuilder MapRescoring(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/").WithDescribedTag("Rescoring", "N-best rescoring: a first pass's hypotheses re-ranked by the language model combined with their first-pass scores.");
        group.MapPost("rescore", Rescore)
            .WithName("Rescore")
            .WithSummary("Rescore n-best lists: each hypothesis' language-model log-probability, combined score and new rank")
            .WithDescription("Scores every hypothesis of every utterance with the language model in one batched pass and re-ranks each utterance's hypotheses, best first, by "
                + "combined = Σ_k weights.scores[k]·scores[k] + weights.lm·lmLogProb + weights.wordInsertionPenalty·wordCount. "
                + "lmLogProb is the natural log of P(words </s>), each hypothesis scored on its own from <s> exactly as POST /score scores a sentence; with an n-gram model "
                + "(the model's `ngram`), P = λ·P_rnn + (1 − λ)·P_ngram per token, λ from weights.lambda or RnnLm:Lambda. A first-pass score without a weight counts with weight 1; "
                + "ties keep the order sent. The answer keeps each utterance's id and each hypothesis' index. "
                + "Limits: RnnLm:MaxRescoreUtterances utterances, RnnLm:MaxHypothesesPerUtterance hypotheses per utterance, RnnLm:MaxRescoreTokens words per request, "
                + "RnnLm:MaxTokensPerSentence per hypothesis, RnnLm:MaxBodyBytes per body.")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .WithExample(body: RescoreRequest.Example)
            .WithExample(name: "unknownWeight", body: RescoreRequest.UnknownWeightExample);
        return app;
    }

    public static Results<Ok<RescoreResponse>, ValidationProblem> Rescore(
        RescoreRequest request,
        [Description(ModelParameter.Description)] string? model,
        ModelRegistry models,
        IOptions<RnnLmOptions> options)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(options);
        var errors = new ValidationErrors();
        var (utterances, weights) = request.ToNBest(options.Value, errors);
        var loaded = errors.IsEmpty ? models.Resolve(model) : null;
        var mixing = loaded is null ? null : LambdaParameter.For(loaded, request.Weights?.Lambda, options.Value, errors, "weights.lambda");
        if (loaded is null || !errors.IsEmpty)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary(), title: "The n-best lists cannot be rescored.");
        }

        // One batch over every hypothesis of the request, split between the cores: the figures do not depend on how many.
        var rescored = mixing is null
            ? Rescorer.Rescore(loaded.Model, utterances, weights, Environment.ProcessorCount)
            : Rescorer.Rescore(mixing.Model, mixing.Lambda, utterances, weights, Environment.ProcessorCount);
        var hypotheses = rescored.Sum(u => u.Hypotheses.Count);
        var tokens = rescored.Sum(u => u.Hypotheses.Sum(h => h.WordCount + 1));
        RnnLmMetrics.TokensScored.Inc(tokens);
        var names = utterances.SelectMany(u => u.Hypotheses.SelectMany(h => h.Scores.Keys)).Distinct().Order(StringComparer.Ordinal);
        var applied = new AppliedWeights(weights.Lm, weights.WordInsertionPenalty, names.ToDictionary(n => n, weights.ScoreWeight));
        return TypedResults.Ok(new RescoreResponse(
            loaded.Id, RescoreResponse.Definition, applied, hypotheses, tokens,
            [.. rescored.Select(u => new RescoredUtteranceResult(u.Id, [.. u.Hypotheses.Select(RescoredHypothesisResult.Of)]))])
        {
            Lambda = mixing?.Lambda,
            NGram = mixing?.NGram,
        });
    }
}
