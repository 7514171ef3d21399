using System.Security.Cryptography;

namespace RnnLm.Data;

/// <summary>Paths, reads and hashes every part of the Brown preparation shares, with errors that name the file.</summary>
internal static class DataFiles
{
    public static byte[] ReadAllBytes(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (FileNotFoundException ex)
        {
            throw new FileNotFoundException($"{Path.GetFileName(path)} not found in {Path.GetDirectoryName(path)}", path, ex);
        }
        catch (DirectoryNotFoundException ex)
        {
            throw new DirectoryNotFoundException($"Folder of {path} not found", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{Path.GetFileName(path)}: cannot read: {OneLine(ex.Message)}", ex);
        }
    }

    public static string ToFullPath(string path)
    {
        try
        {
            return Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new DirectoryNotFoundException($"Not a usable path: '{path}' ({OneLine(ex.Message)})", ex);
        }
    }

    public static string Sha256Hex(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
