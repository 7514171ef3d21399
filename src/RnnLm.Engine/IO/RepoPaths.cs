namespace RnnLm.Engine.IO;

/// <summary>
/// Finds the repository's own files (the shipped model, the Brown data) from wherever a program runs: a project folder,
/// a test's bin folder, the repository root or an installation that keeps them beside the program.
/// </summary>
public static class RepoPaths
{
    /// <summary>
    /// An absolute <paramref name="path"/> as it is; a relative one tried under each of <paramref name="starts"/> in turn and
    /// under every folder above it, the first existing file or folder winning.
    /// </summary>
    /// <returns>The full path found, or null when the path exists under none of them.</returns>
    public static string? Find(string path, params IEnumerable<string> starts)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(starts);
        if (Path.IsPathRooted(path))
        {
            return path;
        }

        foreach (var start in starts)
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                var candidate = Path.Combine(folder.FullName, path);
                if (File.Exists(candidate) || Directory.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
