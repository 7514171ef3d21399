using System.Collections.Concurrent;
using RnnLm.Engine.IO;

namespace RnnLm.Api.Models;

/// <summary>
/// Decides whether a model file can be loaded without loading it: against the byte count and SHA-256 its card records, or,
/// when the card records no SHA-256, by the file's own header and length (<see cref="ModelFile.Check(string)"/>). A verdict
/// is kept until the file or its card changes size or time of last write, so listing models costs a look at each file's
/// metadata once every file has been checked. Reasons name no path: they are shown to clients.
/// </summary>
internal sealed class ModelChecker
{
    private readonly ConcurrentDictionary<string, Verdict> _verdicts = new(StringComparer.Ordinal);

    /// <summary>Why the model file at <paramref name="path"/> cannot be loaded, or null when it can.</summary>
    public string? ProblemOf(string path, ModelCard? card)
    {
        var stamp = Stamp.Of(path);
        if (_verdicts.TryGetValue(path, out var known) && known.Stamp == stamp)
        {
            return known.Problem;
        }

        string? problem;
        try
        {
            problem = Inspect(path, stamp, card);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ReasonOf(e, path); // not kept: permissions or a passing I/O error may change without the file changing
        }

        // A load that failed meanwhile on the same version of the file knows more than the check: keep its verdict.
        var verdict = new Verdict(stamp, problem);
        return _verdicts.AddOrUpdate(path, verdict, (_, kept) => kept.Stamp == stamp && kept.Problem is not null ? kept : verdict).Problem;
    }

    /// <summary>
    /// Keeps what a real load found wrong with a file that passed the check (a byte changed in place in a model whose card
    /// records no SHA-256, say), so that listings say so from now on; returns the reason.
    /// </summary>
    public string Failed(string path, ModelLoadException failure)
    {
        var reason = ReasonOf(failure, path);
        _verdicts[path] = new Verdict(Stamp.Of(path), reason);
        return reason;
    }

    public void Forget(string path) => _verdicts.TryRemove(path, out _);

    private static string? Inspect(string path, Stamp stamp, ModelCard? card)
    {
        if (stamp.Bytes < 0)
        {
            return "The file is gone.";
        }

        if (card is { FileBytes: > 0 } && card.FileBytes != stamp.Bytes)
        {
            return $"The file is {stamp.Bytes:N0} bytes but its card records {card.FileBytes:N0}: it was cut short or overwritten.";
        }

        if (!string.IsNullOrEmpty(card?.Sha256))
        {
            return string.Equals(ModelCard.HashFile(path), card.Sha256, StringComparison.OrdinalIgnoreCase)
                ? null
                : "The file's SHA-256 is not the one its card records: it is corrupted, or it was replaced without its card.";
        }

        try
        {
            ModelFile.Check(path);
            return null;
        }
        catch (ModelFormatException e)
        {
            return ReasonOf(e, path);
        }
    }

    // The engine's own words for a damaged file (the innermost format error, which names no file), or a plain word for an I/O failure.
    private static string ReasonOf(Exception failure, string path)
    {
        for (var e = failure; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case ModelFormatException format when format.InnerException is not ModelFormatException:
                    return $"It is not a loadable model: {format.Message.Replace(path, Path.GetFileName(path), StringComparison.Ordinal)}";
                case FileNotFoundException or DirectoryNotFoundException:
                    return "The file is gone.";
                case UnauthorizedAccessException:
                    return "The service is not allowed to read the file.";
                case IOException:
                    return "The file cannot be read (an I/O error).";
            }
        }

        return "It cannot be loaded.";
    }

    private sealed record Verdict(Stamp Stamp, string? Problem);

    /// <summary>What identifies a version of a model file and its card without reading them; -1 bytes for a missing file.</summary>
    private readonly record struct Stamp(long Bytes, DateTime WrittenUtc, long CardBytes, DateTime CardWrittenUtc)
    {
        public static Stamp Of(string path)
        {
            var file = new FileInfo(path);
            var card = new FileInfo(ModelCard.PathFor(path));
            return new Stamp(file.Exists ? file.Length : -1, file.LastWriteTimeUtc, card.Exists ? card.Length : -1, card.LastWriteTimeUtc);
        }
    }
}
