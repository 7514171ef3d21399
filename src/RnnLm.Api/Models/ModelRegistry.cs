using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using RnnLm.Api.Infrastructure;
using RnnLm.Engine;
using RnnLm.Engine.IO;

namespace RnnLm.Api.Models;

/// <summary>Where a registered model comes from.</summary>
public enum ModelSource
{
    /// <summary>The model the service was started with (RnnLm:ModelPath); it cannot be deleted.</summary>
    Shipped,

    /// <summary>A model a training job produced, kept in the data directory's models/ folder.</summary>
    Trained,
}

/// <summary>A model the registry knows: its file and card, loaded or not.</summary>
/// <param name="Problem">Why the file cannot be loaded and what to do about it (no path), or null when it can.</param>
public sealed record RegisteredModel(string Id, ModelSource Source, string Path, ModelCard? Card, long FileBytes, DateTimeOffset CreatedUtc, string? Problem)
{
    /// <summary>The full path of the ARPA n-gram model it carries (RnnLm:NGram for the shipped one, else <see cref="LoadedModel.NGramBeside"/>); null for none.</summary>
    public string? NGram { get; init; }
}

/// <summary>The model the last activation chose (recorded in <c>active-model.json</c>; the shipped one when none was made), as registered now.</summary>
/// <param name="Model">Null when no model with that id is registered any more.</param>
public sealed record ChosenModel(string Id, RegisteredModel? Model)
{
    /// <summary>Why the chosen model cannot serve, or null when it can.</summary>
    public string? Problem => Model is null
        ? $"No model '{ModelRegistry.Shorten(Id)}' is registered: its file is not in the data directory's models folder."
        : Model.Problem;

    /// <summary>Why the model serving is not the chosen one; null when it is.</summary>
    public string? WhyNotServing(string? servingId) => servingId == Id ? null
        : Problem ?? "It has not been loaded here yet: a read replica picks it up within RnnLm:FollowActiveModelSeconds (when that is above 0), or activate it here.";
}

/// <summary>
/// The models the service can answer with, and the one place that holds them: the shipped one and those training jobs
/// registered under <c>DataDirectory/models</c> (this file), and which one is active, the loaded-model cache, the activation
/// file and following a trainer (<c>ModelRegistry.Serving.cs</c>). Every model is checked before it is listed or loaded
/// (<see cref="ModelChecker"/>): one whose file is damaged is listed with its problem and refused with a
/// <see cref="ModelLoadException"/> whose message names no path.
/// </summary>
public sealed partial class ModelRegistry
{
    private const string ActiveFileName = "active-model.json";
    private readonly string _shippedPath;
    private readonly string? _shippedNGram;
    private readonly int _maxLoaded;
    private readonly ModelChecker _checker = new();
    private readonly ILogger<ModelRegistry> _logger;

    public ModelRegistry(IOptions<RnnLmOptions> options, IHostEnvironment environment, ILogger<ModelRegistry> logger)
    {
        _logger = logger;
        var settings = options.Value;
        _shippedPath = RnnLmOptionsSetup.Resolve(settings.ModelPath, environment.ContentRootPath);
        _shippedNGram = string.IsNullOrWhiteSpace(settings.NGram) ? null : RnnLmOptionsSetup.Resolve(settings.NGram, environment.ContentRootPath);
        DataDirectory = Path.GetFullPath(settings.DataDirectory);
        ModelsDirectory = Path.Combine(DataDirectory, "models");
        _maxLoaded = settings.MaxLoadedModels;
    }

    /// <summary>The data directory (absolute).</summary>
    public string DataDirectory { get; }

    /// <summary>Where trained models live: <c>ID.rnnlm</c> with its card <c>ID.json</c>.</summary>
    public string ModelsDirectory { get; }

    public string ShippedId => System.IO.Path.GetFileNameWithoutExtension(_shippedPath);

    /// <summary>Model and job ids: letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64 characters; so never a path.</summary>
    public static bool IsValidId(string? id) => id is not null && IdPattern().IsMatch(id) && !id.Contains("..", StringComparison.Ordinal);

    /// <summary>The shipped model first, then trained models, oldest first.</summary>
    public IReadOnlyList<RegisteredModel> List()
    {
        var models = new List<RegisteredModel>();
        if (Describe(ShippedId, ModelSource.Shipped, _shippedPath) is { } shipped)
        {
            models.Add(shipped);
        }

        if (System.IO.Directory.Exists(ModelsDirectory))
        {
            models.AddRange(System.IO.Directory.EnumerateFiles(ModelsDirectory, "*.rnnlm")
                .Select(path => System.IO.Path.GetFileNameWithoutExtension(path))
                .Where(id => IsValidId(id) && id != ShippedId)
                .Select(id => Describe(id, ModelSource.Trained, PathOf(id)))
                .OfType<RegisteredModel>()
                .OrderBy(m => m.CreatedUtc)
                .ThenBy(m => m.Id, StringComparer.Ordinal));
        }

        return models;
    }

    /// <summary>Finds a registered model by id; invalid ids are simply not found.</summary>
    public RegisteredModel? Find(string id)
    {
        if (!IsValidId(id))
        {
            return null;
        }

        return id == ShippedId ? Describe(id, ModelSource.Shipped, _shippedPath) : Describe(id, ModelSource.Trained, PathOf(id));
    }

    /// <summary>The model the last activation chose, as registered now: the one <c>active-model.json</c> names, else the shipped one.</summary>
    public ChosenModel Chosen()
    {
        var path = System.IO.Path.Combine(DataDirectory, ActiveFileName);
        string? id = null;
        try
        {
            id = File.Exists(path) ? JsonSerializer.Deserialize<ActiveChoice>(File.ReadAllText(path))?.Id : null;
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            // An unreadable record is no record: the shipped model is the choice.
        }

        id ??= ShippedId;
        return new ChosenModel(id, Find(id));
    }

    /// <summary>Saves a trained model and its card under <paramref name="id"/>: the card first, the model last (each by rename), so a listed model always has its card.</summary>
    public RegisteredModel Register(string id, LanguageModel model, Func<string, ModelCard> card)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(card);
        if (!IsValidId(id) || id == ShippedId)
        {
            throw new ArgumentException($"'{id}' cannot be a model id.", nameof(id));
        }

        System.IO.Directory.CreateDirectory(ModelsDirectory);
        var path = PathOf(id);
        var staging = System.IO.Path.Combine(ModelsDirectory, $".{id}.staging.rnnlm");
        ModelFile.Save(model, staging);
        card(staging).Save(ModelCard.PathFor(path));
        File.Move(staging, path, overwrite: true);
        return Find(id) ?? throw new IOException($"Model '{id}' vanished right after it was saved.");
    }

    /// <summary>Deletes a trained model that is not active.</summary>
    /// <returns>Null when deleted, otherwise why not.</returns>
    public string? Delete(RegisteredModel registered)
    {
        ArgumentNullException.ThrowIfNull(registered);
        if (registered.Source == ModelSource.Shipped)
        {
            return $"'{registered.Id}' is the shipped model (RnnLm:ModelPath); it cannot be deleted.";
        }

        if (Active?.Id == registered.Id)
        {
            return $"'{registered.Id}' is the active model; activate another one first.";
        }

        lock (_gate)
        {
            Evict(registered.Id);
        }

        _checker.Forget(registered.Path);
        File.Delete(registered.Path);
        File.Delete(ModelCard.PathFor(registered.Path));
        return null;
    }

    internal static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";

    private string PathOf(string id) => System.IO.Path.Combine(ModelsDirectory, id + ".rnnlm");

    private RegisteredModel? Describe(string id, ModelSource source, string path)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            return null;
        }

        var card = LoadedModel.CardFor(path);
        var created = card is { CreatedUtc: var c } && c != default ? c : new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero);
        var problem = _checker.ProblemOf(file.FullName, card) is { } reason ? Remedied(id, source, reason) : null;
        return new RegisteredModel(id, source, file.FullName, card, file.Length, created, problem) { NGram = NGramOf(source, path) };
    }

    // What is wrong, then what the user can do about it.
    // The n-gram a model carries: the configured one for the shipped model, else the ARPA file beside it.
    private string? NGramOf(ModelSource source, string path) => source == ModelSource.Shipped && _shippedNGram is not null ? _shippedNGram : LoadedModel.NGramBeside(path);

    private static string Remedied(string id, ModelSource source, string reason) => source == ModelSource.Shipped
        ? $"{reason} Restore the file RnnLm:ModelPath names, or set RnnLm:ModelPath to a good model file."
        : $"{reason} Delete the model (DELETE /models/{id}) and train it again, or restore its file.";

    private static ModelLoadException Unloadable(RegisteredModel model, string problem) =>
        new(model.Path, $"Model '{model.Id}' cannot be loaded. {problem}");

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex IdPattern();

    private sealed record ActiveChoice(string Id);
}
