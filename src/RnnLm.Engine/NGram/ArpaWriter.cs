using System.Globalization;
using System.IO.Compression;
using System.Text;
using RnnLm.Engine.IO;

namespace RnnLm.Engine.NGram;

/// <summary>
/// Writes an estimate as a standard ARPA back-off file: <c>\data\</c> with one <c>ngram n=count</c> line per order, then a
/// <c>\n-grams:</c> section per order of <c>log10 p TAB words [TAB log10 back-off]</c> lines, then <c>\end\</c>. The back-off
/// weight is left out where it is 0 (an n-gram that is never a context, or any highest-order n-gram).
/// </summary>
public static class ArpaWriter
{
    /// <summary>Writes <paramref name="estimate"/> to <paramref name="path"/> atomically; gzip-compressed when the name ends in <c>.gz</c>.</summary>
    public static void Write(NGramEstimate estimate, string path)
    {
        ArgumentNullException.ThrowIfNull(estimate);
        AtomicFile.Write(path, stream =>
        {
            using var compressed = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(stream, CompressionLevel.Optimal, leaveOpen: true) : null;
            using var writer = new StreamWriter(compressed ?? stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
            Write(estimate, writer);
        });
    }

    /// <summary>Writes <paramref name="estimate"/> in ARPA form to <paramref name="writer"/>.</summary>
    public static void Write(NGramEstimate estimate, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(estimate);
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteLine();
        writer.WriteLine(@"\data\");
        for (var n = 1; n <= estimate.Order; n++)
        {
            writer.WriteLine($"ngram {n}={estimate.Entries[n - 1].Count}");
        }

        var line = new StringBuilder();
        for (var n = 1; n <= estimate.Order; n++)
        {
            writer.WriteLine();
            writer.WriteLine($@"\{n}-grams:");
            foreach (var entry in estimate.Entries[n - 1])
            {
                line.Clear().Append(Number(entry.LogProb)).Append('\t');
                for (var i = 0; i < entry.Ids.Length; i++)
                {
                    line.Append(i == 0 ? "" : " ").Append(estimate.Words[entry.Ids[i]]);
                }

                if (entry.LogBackoff != 0)
                {
                    line.Append('\t').Append(Number(entry.LogBackoff));
                }

                writer.WriteLine(line);
            }
        }

        writer.WriteLine();
        writer.WriteLine(@"\end\");
    }

    /// <summary>Shortest text that reads back as the same single-precision number the model will hold.</summary>
    private static string Number(double value) => ((float)value).ToString("R", CultureInfo.InvariantCulture);
}
