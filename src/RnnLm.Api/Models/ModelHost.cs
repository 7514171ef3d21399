using System.Text.Json;
using RnnLm.Engine;
using RnnLm.Engine.IO;

namespace RnnLm.Api.Models;

/// <summary>A loaded model, never changed once built: a request that holds one keeps a consistent model even if another is activated.</summary>
/// <param name="Id">The file name without its extension, e.g. <c>brown-default</c>.</param>
/// <param name="Model">The engine's model, safe to use from many requests at once.</param>
/// <param name="Card">The card shipped beside the file (<c>name.json</c>), if there is one.</param>
/// <param name="Path">The full path the model was loaded from.</param>
public sealed record ActiveModel(string Id, LanguageModel Model, ModelCard? Card, string Path)
{
    /// <summary>Hex SHA-256 of the model file as loaded.</summary>
    public string Sha256 { get; init; } = "";

    public long FileBytes { get; init; }

    public DateTimeOffset LoadedUtc { get; init; }
}

/// <summary>
/// Holds the active model. Readers call <see cref="Current"/> once per request and use that reference throughout;
/// <see cref="Activate"/> swaps the whole record atomically, so no lock is needed on either side.
/// </summary>
public sealed class ModelHost
{
    private ActiveModel? _active;

    public ActiveModel? Active => Volatile.Read(ref _active);

    /// <summary>The active model.</summary>
    /// <exception cref="ModelUnavailableException">No model has been loaded (answered as 503).</exception>
    public ActiveModel Current => Active ?? throw new ModelUnavailableException("No model is loaded yet.");

    /// <summary>Makes <paramref name="model"/> the active model and returns the one it replaces.</summary>
    public ActiveModel? Activate(ActiveModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Interlocked.Exchange(ref _active, model);
    }

    /// <summary>Loads a model file and its card.</summary>
    /// <exception cref="ModelLoadException">The file is missing, unreadable or not a valid model; the message names the file.</exception>
    public static ActiveModel Load(string path)
    {
        try
        {
            var model = ModelFile.Load(path);
            var info = new FileInfo(path);
            return new ActiveModel(System.IO.Path.GetFileNameWithoutExtension(path), model, CardFor(path), info.FullName)
            {
                Sha256 = ModelCard.HashFile(path),
                FileBytes = info.Length,
                LoadedUtc = DateTimeOffset.UtcNow,
            };
        }
        catch (FileNotFoundException e)
        {
            throw new ModelLoadException(path, $"Model file '{path}' does not exist. Set RnnLm:ModelPath (environment variable RnnLm__ModelPath) to a model file.", e);
        }
        catch (Exception e) when (e is ModelFormatException or IOException or UnauthorizedAccessException)
        {
            throw new ModelLoadException(path, e is ModelFormatException ? e.Message : $"Model file '{path}' cannot be read: {e.Message}", e);
        }
    }

    /// <summary>The card beside a model file; null when there is none or it cannot be read (a model serves without one).</summary>
    public static ModelCard? CardFor(string modelPath)
    {
        try
        {
            return ModelCard.TryLoad(ModelCard.PathFor(modelPath));
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Resolves a configured model path: absolute paths as they are; relative ones from the content root and each folder
    /// above it, then from the working directory and above. When none exists, the path under the content root is returned.
    /// </summary>
    public static string Resolve(string configured, string contentRoot) =>
        RepoPaths.Find(configured, contentRoot, Directory.GetCurrentDirectory()) ?? System.IO.Path.GetFullPath(System.IO.Path.Combine(contentRoot, configured));
}

/// <summary>A model file could not be loaded; the message names the file and says why.</summary>
public sealed class ModelLoadException(string path, string message, Exception? inner = null) : Exception(message, inner)
{
    public string ModelPath { get; } = path;
}

/// <summary>A request arrived while no model is active.</summary>
public sealed class ModelUnavailableException(string message) : Exception(message);
