using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace RnnLm.Api.Infrastructure;

/// <summary>
/// Keeps absolute server paths out of what clients read. A file in the data directory is named from it
/// (<c>&lt;data directory&gt;/models/x.rnnlm</c>); any other absolute path by its last name (<c>…/brown-default.rnnlm</c>).
/// Paths are found where .NET's messages and ours put them, in single quotes (when they lie in a folder that exists here),
/// and wherever a folder the service knows (the data directory, the content root, the working, temporary, home and
/// application folders, the model's folder) appears.
/// Every problem details response and every job's error go through <see cref="Redact"/>; the log keeps the full paths.
/// </summary>
public sealed partial class ServerPaths
{
    private const string DataDirectoryName = "<data directory>";
    private readonly string _dataDirectory;
    private readonly (Regex Folder, string Name)[] _folders;

    public ServerPaths(IOptions<RnnLmOptions> options, IHostEnvironment environment)
    {
        var settings = options.Value;
        _dataDirectory = WithoutTrailingSeparator(Path.GetFullPath(settings.DataDirectory));
        string?[] others =
        [
            environment.ContentRootPath, AppContext.BaseDirectory, Environment.CurrentDirectory, Path.GetTempPath(),
            Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), Path.GetDirectoryName(RnnLmOptionsSetup.Resolve(settings.ModelPath, environment.ContentRootPath)),
        ];
        _folders =
        [
            (FolderPattern(_dataDirectory), DataDirectoryName),
            .. others.OfType<string>().Select(WithoutTrailingSeparator)
                .Where(f => f.Length > 1 && Path.IsPathRooted(f) && Path.GetPathRoot(f) != f && f != _dataDirectory)
                .Distinct()
                .OrderByDescending(f => f.Length) // a folder inside another is replaced first
                .Select(f => (FolderPattern(f), "…")),
        ];
    }

    /// <summary>The text with every absolute server path in it replaced by a name that gives nothing of the server away.</summary>
    public string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = QuotedPath().Replace(text, m => IsServerPath(m.Groups["path"].Value) ? $"'{NameOf(m.Groups["path"].Value)}'" : m.Value);
        foreach (var (folder, name) in _folders)
        {
            text = folder.Replace(text, name);
        }

        return text;
    }

    // A path in a folder the service knows, or whose first folder exists on this machine ('/srv/...', 'C:\...'); not a
    // request's own path quoted back to it ('/next%00').
    private bool IsServerPath(string path)
    {
        if (_folders.Any(f => f.Folder.IsMatch(path)) || !path.StartsWith('/'))
        {
            return true;
        }

        var first = path.IndexOf('/', 1);
        return first > 1 && Directory.Exists(path[..first]);
    }

    private string NameOf(string path)
    {
        if (path.StartsWith(_dataDirectory, StringComparison.Ordinal)
            && (path.Length == _dataDirectory.Length || path[_dataDirectory.Length] is '/' or '\\'))
        {
            return DataDirectoryName + path[_dataDirectory.Length..].Replace('\\', '/');
        }

        return "…/" + Path.GetFileName(WithoutTrailingSeparator(path));
    }

    private static string WithoutTrailingSeparator(string path) => path.Length > 1 ? path.TrimEnd('/', '\\') : path;

    // The folder where a path continues or ends: "/srv/data" in "/srv/data/jobs.db" and "/srv/data.", not in "/srv/database".
    private static Regex FolderPattern(string folder) => new(Regex.Escape(folder) + """(?=[/\\'"\s.,;:)]|$)""", RegexOptions.CultureInvariant);

    // '/abs/path', 'C:\abs\path' or '\\server\share\path' in single quotes, as exception messages quote them.
    [GeneratedRegex("""'(?<path>(?:/|[A-Za-z]:[\\/]|\\\\)[^'\r\n]*)'""")]
    private static partial Regex QuotedPath();
}
