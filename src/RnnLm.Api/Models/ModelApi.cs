using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using RnnLm.Api.Infrastructure;
using RnnLm.Engine.IO;
using RnnLm.Engine.Model;

namespace RnnLm.Api.Models;

[Description("The active model: what the file says, and the card shipped beside it.")]
public sealed record ModelResponse(
    [property: Description("Model id: the file name without its extension.")] string Id,
    [property: Description("The model file's name.")] string File,
    [property: Description("Hex SHA-256 of the model file as loaded.")] string Sha256,
    [property: Description("Size of the model file in bytes.")] long FileBytes,
    [property: Description("When this model was loaded (UTC).")] DateTimeOffset LoadedUtc,
    [property: Description("Cell and output layer.")] string Architecture,
    [property: Description("|V|: words in the vocabulary, <unk> and </s> included.")] int VocabularySize,
    [property: Description("d: width of a word embedding.")] int Embedding,
    [property: Description("Dh: width of the hidden layer.")] int Hidden,
    [property: Description("Output layer: full softmax or frequency classes.")] string Output,
    [property: Description("Number of word classes (0 for a full softmax).")] int Classes,
    [property: Description("Number of weights and biases.")] long Parameters,
    [property: Description("The training data, from the card (null without a card).")] string? TrainingData,
    [property: Description("Perplexity on the training text, from the card.")] double? TrainPerplexity,
    [property: Description("Perplexity on the validation text, from the card.")] double? ValidPerplexity,
    [property: Description("Perplexity on the test text, from the card.")] double? TestPerplexity,
    [property: Description("The full model card (name.json beside the model file), or null when there is none.")] ModelCard? Card) : IDocumentedExample<ModelResponse>
{
    public static ModelResponse Example => new(
        "brown-default", "brown-default.rnnlm", "5f1c0e8d2a9b4c7e8f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70", 11_712_993, new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.Zero),
        "Elman RNN (sigmoid hidden layer), class-factorized softmax (100 classes)", 14_114, 100, 100, "classes", 100, 2_847_614,
        "train.txt (35,523 sentences), valid valid.txt", 198.4, 161.8, 160.9, null);
}

public static class ModelApi
{
    public static IEndpointRouteBuilder MapModels(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/").WithTags("Model");
        group.MapGet("model", GetModel)
            .WithName("GetModel")
            .WithSummary("The active model's card")
            .WithDescription("Describes the model that answers requests: architecture, dimensions, vocabulary size, the SHA-256 of its file, and, "
                + "from the card shipped beside the file, the training data, hyperparameters and perplexities on the train, validation and test texts.");
        return app;
    }

    public static Ok<ModelResponse> GetModel(ModelHost models)
    {
        var active = models.Current;
        var shape = active.Model.Shape;
        var card = active.Card;
        var architecture = string.IsNullOrEmpty(card?.Architecture)
            ? $"Elman RNN (sigmoid hidden layer), {(shape.Output == OutputKind.Full ? "full softmax" : $"class-factorized softmax ({shape.ClassCount} classes)")}"
            : card.Architecture;
        return TypedResults.Ok(new ModelResponse(
            active.Id,
            Path.GetFileName(active.Path),
            active.Sha256,
            active.FileBytes,
            active.LoadedUtc,
            architecture,
            shape.VocabularySize,
            shape.Embedding,
            shape.Hidden,
            shape.Output == OutputKind.Full ? "full" : "classes",
            shape.ClassCount,
            shape.ParameterCount,
            string.IsNullOrEmpty(card?.TrainingData) ? null : card.TrainingData,
            card?.TrainPerplexity,
            card?.ValidPerplexity,
            card?.TestPerplexity,
            card));
    }
}
