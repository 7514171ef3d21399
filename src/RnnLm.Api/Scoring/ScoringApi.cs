using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using RnnLm.Api.Infrastructure;
using RnnLm.Api.Models;
using RnnLm.Api.Prediction;

namespace RnnLm.Api.Scoring;

public static class ScoringApi
{
    public static IEndpointRouteBuilder MapScoring(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/").WithDescribedTag("Scoring", "How probable a text is under the model: per-token log-probabilities, cross-entropy and perplexity.");
        group.MapPost("score", Score)
            .WithName("Score")
            .WithSummary("Score text: log-probability, cross-entropy and perplexity")
            .WithDescription("Scores one or more sentences given as raw text (split into sentences and tokenized), as one string per sentence, "
                + "or as token lists. Returns the token-weighted perplexity over all sentences, the total natural-log probability, the cross-entropy "
                + "in nats and bits, and for each sentence every token with its log-probability and whether it was out of vocabulary. "
                + "Each sentence's </s> is predicted and counted; unknown words are scored as <unk>. "
                + "With an n-gram model (the model's `ngram`), every token is scored by the interpolation P = λ·P_rnn + (1 − λ)·P_ngram, λ from `lambda` or RnnLm:Lambda. "
                + "With `alternatives`: k, each token also has its rank in the RNN's distribution at its position and the k most probable words there "
                + "(the RNN's alone, as GET /next without an n-gram gives them). "
                + "Limits: RnnLm:MaxSentences sentences per request, RnnLm:MaxTokensPerSentence tokens per sentence, RnnLm:MaxBodyBytes per body.")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .WithExample(body: ScoreRequest.Example);
        return app;
    }

    public static Results<Ok<ScoreResponse>, ValidationProblem> Score(
        ScoreRequest request,
        [Description(ModelParameter.Description)] string? model,
        [Description(LambdaParameter.Description)] double? lambda,
        ModelRegistry models,
        IOptions<RnnLmOptions> options)
    {
        var errors = new ValidationErrors();
        var sentences = request.ToSentences(options.Value, errors);
        var alternatives = request.Alternatives ?? 0;
        if (alternatives < 0 || alternatives > options.Value.MaxAlternatives)
        {
            errors.Add("alternatives", $"Must be between 0 and {options.Value.MaxAlternatives:N0} (RnnLm:MaxAlternatives).");
        }

        var loaded = errors.IsEmpty ? models.Resolve(model) : null;
        var mixing = loaded is null ? null : LambdaParameter.For(loaded, lambda, options.Value, errors);
        if (loaded is null || !errors.IsEmpty)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary(), title: "The text cannot be scored.");
        }

        var results = new SentenceResult[sentences.Count];
        double logProb = 0;
        int tokenCount = 0, unknownCount = 0;
        for (var i = 0; i < results.Length; i++)
        {
            var components = mixing?.Model.Components(sentences[i]);
            var score = components?.Mix(mixing!.Lambda) ?? loaded.Model.Score(sentences[i]);
            var rankings = alternatives > 0 ? loaded.Model.Rank(sentences[i], alternatives) : null;
            var tokens = new TokenResult[score.Tokens.Count];
            for (var t = 0; t < tokens.Length; t++)
            {
                var token = score.Tokens[t];
                tokens[t] = new TokenResult(token.Token, token.LogProb, token.IsUnknown, rankings?[t].Rank, rankings is null ? null : [.. rankings[t].Alternatives.Select(Candidate.Of)])
                {
                    RnnLogProb = components?.Tokens[t].RnnLogProb,
                    NGramLogProb = components?.Tokens[t].NGramLogProb,
                };
                unknownCount += token.IsUnknown ? 1 : 0;
            }

            results[i] = new SentenceResult(tokens, score.TokenCount, score.LogProb, score.Perplexity);
            logProb += score.LogProb;
            tokenCount += score.TokenCount;
        }

        RnnLmMetrics.TokensScored.Inc(tokenCount);
        var nats = -logProb / tokenCount;
        return TypedResults.Ok(new ScoreResponse(
            loaded.Id, ScoringConventions.Instance, results.Length, tokenCount, unknownCount, logProb, new CrossEntropy(nats, nats / Math.Log(2)), Math.Exp(nats), results)
        {
            Lambda = mixing?.Lambda,
            NGram = mixing?.NGram,
        });
    }
}
