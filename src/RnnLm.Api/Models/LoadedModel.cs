using System.Text.Json;
using RnnLm.Engine;
using RnnLm.Engine.IO;

namespace RnnLm.Api.Models;

/// <summary>
/// A model loaded into memory, never changed once built: a request that holds one keeps a consistent model even if another is
/// activated meanwhile. Whether it is the active one is the registry's business (<see cref="ModelRegistry.Active"/>), not its own.
/// </summary>
/// <param name="Id">The file name without its extension, e.g. <c>brown-default</c>.</param>
/// <param name="Model">The engine's model, safe to use from many requests at once.</param>
/// <param name="Card">The card shipped beside the file (<c>name.json</c>), if there is one.</param>
/// <param name="Path">The full path the model was loaded from.</param>
public sealed record LoadedModel(string Id, LanguageModel Model, ModelCard? Card, string Path)
{
    /// <summary>Hex SHA-256 of the model file as loaded.</summary>
    public string Sha256 { get; init; } = "";

    public long FileBytes { get; init; }

    public DateTimeOffset LoadedUtc { get; init; }

    /// <summary>Loads a model file and its card.</summary>
    /// <exception cref="ModelLoadException">The file is missing, unreadable or not a valid model; the message names the file.</exception>
    public static LoadedModel Load(string path)
    {
        try
        {
            var model = ModelFile.Load(path);
            var info = new FileInfo(path);
            return new LoadedModel(System.IO.Path.GetFileNameWithoutExtension(path), model, CardFor(path), info.FullName)
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
}
