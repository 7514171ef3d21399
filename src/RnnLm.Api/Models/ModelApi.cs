using System.ComponentModel;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using RnnLm.Api.Infrastructure;
using RnnLm.Api.Jobs;
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
    [property: Description("Output layer: full (softmax), classes (frequency classes) or tree (hierarchical softmax over a Huffman tree).")] string Output,
    [property: Description("Number of word classes (0 for a full softmax or a tree).")] int Classes,
    [property: Description("Number of weights and biases.")] long Parameters,
    [property: Description("The training data, from the card (null without a card).")] string? TrainingData,
    [property: Description("Perplexity on the training text, from the card.")] double? TrainPerplexity,
    [property: Description("Perplexity on the validation text, from the card.")] double? ValidPerplexity,
    [property: Description("Perplexity on the test text, from the card.")] double? TestPerplexity,
    [property: Description("The full model card (name.json beside the model file), or null when there is none.")] ModelCard? Card)
{
    [Description("The file name of the n-gram model it is interpolated with on /score and /next (RnnLm:NGram, or an ARPA file beside the model file); absent when none.")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("ngram")]
    public string? NGram { get; init; }
}

/// <summary>The optional <c>model</c> query parameter of /score, /next, /generate and /tokenize.</summary>
public static class ModelParameter
{
    public const string Description = "Optional: the id of a registered model (GET /models) to answer with instead of the active one. "
        + "An id no registered model has gets 400; a model whose file cannot be loaded (status unreadable) gets 409.";
}

/// <summary>Whether a registered model's file can be loaded.</summary>
public enum ModelStatus
{
    /// <summary>The file passed its check: it can serve.</summary>
    Ready,

    /// <summary>The file is damaged or cannot be read; <c>problem</c> says why and what to do.</summary>
    Unreadable,
}

[Description("A registered model: the shipped one, or one a training job produced.")]
public sealed record ModelSummary(
    [property: Description("The model's id: the shipped file's name without extension, or the id of the job that trained it.")] string Id,
    [property: Description("shipped (RnnLm:ModelPath) or trained (by a job).")] ModelSource Source,
    [property: Description("ready, or unreadable when the file is damaged or cannot be read (checked against the byte count and SHA-256 its card records, "
        + "else by the file's header and length); an unreadable model cannot be used or activated.")] ModelStatus Status,
    [property: Description("For an unreadable model: what is wrong and what to do about it. Null when ready.")] string? Problem,
    [property: Description("True for the model serving: the one that answers requests without model=ID.")] bool Active,
    [property: Description("True for the model the last activation chose (the shipped one when none was made). "
        + "When it is not also active, it could not be loaded and GET /health/ready says why.")] bool Chosen,
    [property: Description("The model's name from its card.")] string? Name,
    [property: Description("Cell and output layer, from the card.")] string? Architecture,
    [property: Description("The training data, from the card.")] string? TrainingData,
    [property: Description("Perplexity on its validation text, from the card.")] double? ValidPerplexity,
    [property: Description("Perplexity on its test text, from the card, when it was measured.")] double? TestPerplexity,
    [property: Description("Size of the model file in bytes.")] long FileBytes,
    [property: Description("When the model was made (UTC).")] DateTimeOffset CreatedUtc,
    [property: Description("The full model card, or null when there is none.")] ModelCard? Card)
{
    [Description("The file name of the n-gram model it carries, interpolated with on /score and /next (RnnLm:NGram for the shipped model, else "
        + "ID.arpa or ID.arpa.gz beside the model file); absent when none.")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyName("ngram")]
    public string? NGram { get; init; }

    internal static ModelSummary From(RegisteredModel model, string? activeId, string chosenId) => new(
        model.Id, model.Source, model.Problem is null ? ModelStatus.Ready : ModelStatus.Unreadable, model.Problem, model.Id == activeId, model.Id == chosenId, model.Card?.Name, model.Card?.Architecture, model.Card?.TrainingData,
        model.Card?.ValidPerplexity, model.Card?.TestPerplexity, model.FileBytes, model.CreatedUtc, model.Card)
    {
        NGram = model.NGram is null ? null : Path.GetFileName(model.NGram),
    };
}

[Description("The registered models: the shipped one first, then trained ones, oldest first.")]
public sealed record ModelListResponse(
    [property: Description("The id of the model serving (active).")] string? ActiveId,
    [property: Description("The id of the model the last activation chose (kept in the data directory), or the shipped model's when none was made. "
        + "It differs from activeId when the chosen model cannot be loaded; GET /health/ready then says why.")] string ChosenId,
    [property: Description("The models.")] IReadOnlyList<ModelSummary> Models);

[Description("The outcome of an activation.")]
public sealed record ActivationResponse(
    [property: Description("The model now active.")] ModelSummary Active,
    [property: Description("The id of the model active before.")] string? PreviousId);

public static class ModelApi
{
    private const string Tag = "Model";
    private const string TagDescription = "The models this server holds: the active one's card, every registered model, activating and deleting them.";

    /// <summary>The example id: the shipped model's, which every server has.</summary>
    private const string ExampleId = "brown-default";

    public static IEndpointRouteBuilder MapModels(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/").WithDescribedTag(Tag, TagDescription);
        group.MapGet("model", GetModel)
            .WithName("GetModel")
            .WithSummary("The active model's card")
            .WithDescription("Describes the model that answers requests: architecture, dimensions, vocabulary size, the SHA-256 of its file, and, "
                + "from the card shipped beside the file, the training data, hyperparameters and perplexities on the train, validation and test texts.")
            .WithExample();

        var models = app.MapGroup("/models").WithDescribedTag(Tag, TagDescription);
        models.MapGet("", List)
            .WithName("ListModels")
            .WithSummary("The registered models")
            .WithDescription("The shipped model and every model a training job registered, with their cards, which one is serving (active) and which one "
                + "the last activation chose. Each file is checked (cheaply: the verdict is kept until the file changes); a damaged one is listed with "
                + "status unreadable and a problem saying what to do.")
            .WithExample();
        models.MapGet("{id}", Get)
            .WithName("GetRegisteredModel")
            .WithSummary("One registered model")
            .WithDescription("A registered model's card and file, whether its file can be loaded (status, problem), and whether it is serving (active) or chosen.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithExample(parameters: [("id", ExampleId)]);
        models.MapPost("{id}/activate", Activate)
            .WithName("ActivateModel")
            .WithSummary("Make a registered model the active one")
            .WithDescription("Loads the model and swaps it in atomically: requests in flight finish on the model they started with, new ones use this one. "
                + "The choice is kept in the data directory and survives a restart. A model whose file cannot be loaded (status unreadable) is refused "
                + "with 409 and nothing changes. Needs the X-Api-Key header.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status507InsufficientStorage)
            .RequireApiKey()
            .WithExample(parameters: [("id", ExampleId)]);
        models.MapDelete("{id}", Delete)
            .WithName("DeleteModel")
            .WithSummary("Delete a trained model")
            .WithDescription("Deletes a model a job trained, file and card, and the training text that job was sent (its record stays). The active model and "
                + "the shipped one cannot be deleted (409). Needs the X-Api-Key header.")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status507InsufficientStorage)
            .RequireApiKey();
        return app;
    }

    public static Ok<ModelListResponse> List(ModelRegistry registry)
    {
        var activeId = registry.Active?.Id;
        var chosenId = registry.Chosen().Id;
        return TypedResults.Ok(new ModelListResponse(activeId, chosenId, [.. registry.List().Select(m => ModelSummary.From(m, activeId, chosenId))]));
    }

    public static Results<Ok<ModelSummary>, ProblemHttpResult> Get([Description("The model's id.")] string id, ModelRegistry registry) =>
        registry.Find(id) is { } model ? TypedResults.Ok(ModelSummary.From(model, registry.Active?.Id, registry.Chosen().Id)) : NotFound(id);

    public static Results<Ok<ActivationResponse>, ProblemHttpResult> Activate([Description("The model's id.")] string id, ModelRegistry registry)
    {
        if (registry.Find(id) is not { } model)
        {
            return NotFound(id);
        }

        try
        {
            var previous = registry.Activate(model);
            return TypedResults.Ok(new ActivationResponse(ModelSummary.From(model, registry.Active?.Id, registry.Chosen().Id), previous?.Id));
        }
        catch (ModelLoadException e)
        {
            return TypedResults.Problem(Unloadable("id", e));
        }
        catch (Exception e) when (Storage.Translate(e, "The activation cannot be recorded, so the active model is unchanged") is { } fault)
        {
            throw fault;
        }
    }

    public static Results<NoContent, ProblemHttpResult> Delete([Description("The model's id.")] string id, ModelRegistry registry, JobManager jobs)
    {
        if (registry.Find(id) is not { } model)
        {
            return NotFound(id);
        }

        if (Storage.Guard("The model cannot be deleted", () => registry.Delete(model)) is { } refusal)
        {
            return ProblemDetailsSetup.Result(StatusCodes.Status409Conflict, "The model cannot be deleted", "id", refusal);
        }

        jobs.RemoveFilesOf(id); // the text was kept to explain and reproduce the model
        return TypedResults.NoContent();
    }

    // The exception's answer, on the path's id rather than on the model= parameter.
    private static HttpValidationProblemDetails Unloadable(string field, ModelLoadException exception) =>
        ProblemDetailsSetup.Problem(exception.StatusCode, exception.Title, field, exception.Message);

    private static ProblemHttpResult NotFound(string id) => ProblemDetailsSetup.Result(
        StatusCodes.Status404NotFound, "No such model", "id", $"No registered model has the id {ValidationErrors.Quote(id)}; GET /models lists them.");

    public static Ok<ModelResponse> GetModel(ModelRegistry models)
    {
        var active = models.Current;
        var shape = active.Model.Shape;
        var card = active.Card;
        var architecture = string.IsNullOrEmpty(card?.Architecture) ? ModelCard.ArchitectureOf(shape) : card.Architecture;
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
            shape.Output.ToString().ToLowerInvariant(),
            shape.ClassCount,
            shape.ParameterCount,
            string.IsNullOrEmpty(card?.TrainingData) ? null : card.TrainingData,
            card?.TrainPerplexity,
            card?.ValidPerplexity,
            card?.TestPerplexity,
            card)
        {
            NGram = active.NGram,
        });
    }
}
