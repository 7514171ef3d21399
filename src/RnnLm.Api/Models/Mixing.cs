using System.ComponentModel;
using System.Text.Json.Serialization;
using RnnLm.Api.Infrastructure;
using RnnLm.Engine.Interpolation;

namespace RnnLm.Api.Models;

/// <summary>The interpolation a request gets: the model with its n-gram, the weight λ on the RNN, and the n-gram's file name.</summary>
public sealed record Mixing(InterpolatedModel Model, double Lambda, string NGram);

/// <summary>What an answer of /score or /next says about the mixing that gave it; both absent for the RNN alone.</summary>
public abstract record MixingAnswer
{
    [Description("With an n-gram only: λ, the RNN's weight in the interpolation λ·P_rnn + (1 − λ)·P_ngram that gave the figures. Absent: the RNN alone.")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Lambda { get; init; }

    [Description("With an n-gram only: the file name of the n-gram model interpolated with.")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("ngram")]
    public string? NGram { get; init; }
}

/// <summary>The optional <c>lambda</c> query parameter of /score and /next, and the mixing it resolves to for a model.</summary>
public static class LambdaParameter
{
    public const string Description = "Optional: λ, the weight of the RNN in P = λ·P_rnn + (1 − λ)·P_ngram per token, from 0 (the n-gram alone) to 1 "
        + "(the RNN alone), for a model that carries an n-gram model (`ngram` in GET /models; RnnLm:NGram for the shipped model, else an ARPA file "
        + "beside the model file). Absent: RnnLm:Lambda (0.75 unless configured). A model without an n-gram accepts only 1. "
        + "The answer has `lambda` and `ngram` whenever an n-gram took part, and every token both components.";

    /// <summary>
    /// The mixing for <paramref name="loaded"/>: null when it carries no n-gram (the RNN alone), else its n-gram with the λ asked
    /// for or the configured one. Records in <paramref name="errors"/> a λ outside [0, 1], or below 1 for a model without an n-gram.
    /// </summary>
    /// <param name="field">The field errors are recorded under: the query parameter <c>lambda</c>, or where a body holds it.</param>
    public static Mixing? For(LoadedModel loaded, double? lambda, RnnLmOptions options, ValidationErrors errors, string field = "lambda")
    {
        ArgumentNullException.ThrowIfNull(loaded);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(errors);
        if (lambda is { } asked && !Mixture.IsValidLambda(asked))
        {
            errors.Add(field, Mixture.LambdaRule);
            return null;
        }

        if (loaded.Mixture is null)
        {
            if (lambda < 1)
            {
                errors.Add(field, $"Model '{loaded.Id}' carries no n-gram model, so only 1 (the RNN alone) is accepted. "
                    + "Start the service with RnnLm:NGram (environment variable RnnLm__NGram) naming an ARPA file, or put ID.arpa beside a trained model's file.");
            }

            return null;
        }

        var weight = lambda ?? options.Lambda;
        if (weight == 0 && loaded.Mixture.NGram.Unknown < 0)
        {
            // Such a model gives a word it lacks probability 0: alone, it cannot score every text.
            errors.Add(field, $"The n-gram model {loaded.NGram} has a closed vocabulary (no <unk>), so it cannot be used alone; give a lambda above 0.");
            return null;
        }

        return new Mixing(loaded.Mixture, weight, loaded.NGram!);
    }
}
