namespace RnnLm.Engine.NGram;

/// <summary>An ARPA file could not be read; the message names the file, the line and what is wrong with it.</summary>
public sealed class ArpaFormatException : FormatException
{
    public ArpaFormatException(string path, long lineNumber, string reason)
        : base($"{path}, line {lineNumber:N0}: {reason}")
    {
        LineNumber = lineNumber;
        Reason = reason;
    }

    /// <summary>1-based number of the offending line (of the decompressed text for a gzip file).</summary>
    public long LineNumber { get; }

    /// <summary>What is wrong, without the place.</summary>
    public string Reason { get; }
}
