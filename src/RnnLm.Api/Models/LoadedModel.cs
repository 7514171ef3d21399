using System.Text.Json;
using RnnLm.Engine;
using RnnLm.Engine.Interpolation;
using RnnLm.Engine.IO;
using RnnLm.Engine.NGram;

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

    /// <summary>The model interpolated with the n-gram model it carries; null when it carries none.</summary>
    public InterpolatedModel? Mixture { get; init; }

    /// <summary>The file name of the n-gram model it carries; null when it carries none.</summary>
    public string? NGram { get; init; }

    /// <summary>The ARPA file beside a model file with its name (<c>ID.arpa</c>, else <c>ID.arpa.gz</c>), or null when there is none.</summary>
    public static string? NGramBeside(string modelPath) =>
        new[] { ".arpa", ".arpa.gz" }.Select(extension => System.IO.Path.ChangeExtension(modelPath, extension)).FirstOrDefault(File.Exists);

    /// <summary>Loads a model file and its card, and the n-gram model it carries, if any.</summary>
    /// <exception cref="ModelLoadException">The model or the n-gram file is missing, unreadable or not valid; the message names the file, never its folder.</exception>
    public static LoadedModel Load(string path, string? ngramPath = null)
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
                Mixture = ngramPath is null ? null : Interpolate(model, ngramPath),
                NGram = ngramPath is null ? null : System.IO.Path.GetFileName(ngramPath),
            };
        }
        catch (ModelLoadException)
        {
            throw;
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

    // A failure names the n-gram file as its path: the registry then leaves the model file's verdict alone.
    private static InterpolatedModel Interpolate(LanguageModel model, string ngramPath)
    {
        var name = System.IO.Path.GetFileName(ngramPath);
        try
        {
            return new InterpolatedModel(model, ArpaReader.Read(ngramPath));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ModelLoadException(ngramPath, $"N-gram file '{name}' does not exist. Set RnnLm:NGram (environment variable RnnLm__NGram) to an ARPA file, or leave it unset.", e);
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new ModelLoadException(ngramPath, $"N-gram file '{name}' cannot be read: {e.Message.Replace(ngramPath, name, StringComparison.Ordinal)}", e);
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
