using System.Text.RegularExpressions;
using RnnLm.Engine.IO;

namespace RnnLm.Api.Tests;

/// <summary>
/// The project's documentation: README.md, the way in, and the pages under docs/ it links to. Tests that check what the
/// documentation says read all of them, since a passage may stand in any (README keeps the overview, docs/ the details).
/// </summary>
internal static partial class RepositoryDocs
{
    /// <summary>The repository's top folder: the one that holds README.md, found from the test assembly's folder upwards.</summary>
    public static string Root { get; } = Path.GetDirectoryName(RepoPaths.Find("README.md", AppContext.BaseDirectory)
        ?? throw new InvalidOperationException($"No README.md above {AppContext.BaseDirectory}."))!;

    /// <summary>README.md, then docs/*.md in name order.</summary>
    public static IReadOnlyList<string> Files =>
        [Path.Combine(Root, "README.md"), .. Directory.GetFiles(Path.Combine(Root, "docs"), "*.md").Order(StringComparer.Ordinal)];

    /// <summary>Every Markdown file of the repository (build output, packages and dot-folders aside): the pages above and the folders' own READMEs.</summary>
    public static IEnumerable<string> AllMarkdown() =>
        Directory.EnumerateFiles(Root, "*.md", SearchOption.AllDirectories)
            .Where(path => !Path.GetRelativePath(Root, path).Split(Path.DirectorySeparatorChar)
                .Any(part => part is "bin" or "obj" or "node_modules" || part.StartsWith('.')))
            .Order(StringComparer.Ordinal);

    /// <summary>The targets of a Markdown text's links and images, code blocks and code spans left out.</summary>
    public static IEnumerable<string> LinkTargets(string markdown) =>
        Link().Matches(CodeSpan().Replace(string.Join('\n', Prose(markdown)), "")).Select(m => m.Groups["target"].Value);

    /// <summary>The anchors GitHub gives a Markdown text's headings: lower case, punctuation dropped, spaces as hyphens; a repeat gets -1, -2, ...</summary>
    public static IReadOnlySet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in Prose(markdown))
        {
            var heading = Heading().Match(line);
            if (!heading.Success)
            {
                continue;
            }

            var text = Link().Replace(heading.Groups["text"].Value, m => m.Groups["text"].Value);
            var slug = NotInSlug().Replace(text.ToLowerInvariant(), "").Replace(' ', '-');
            var unique = slug;
            for (var n = 1; !anchors.Add(unique); n++)
            {
                unique = $"{slug}-{n}";
            }
        }

        return anchors;
    }

    /// <summary>
    /// What is wrong with the relative links of <paramref name="file"/>: a target file or folder that does not exist, or an
    /// anchor that no heading of its page gives. Links to the web are not followed.
    /// </summary>
    public static IEnumerable<string> BrokenLinks(string file)
    {
        foreach (var target in LinkTargets(File.ReadAllText(file)).Distinct())
        {
            if (Uri.TryCreate(target, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "mailto")
            {
                continue;
            }

            var hash = target.IndexOf('#', StringComparison.Ordinal);
            var path = Uri.UnescapeDataString(hash < 0 ? target : target[..hash]);
            var page = path.Length == 0 ? file : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, path));
            if (!File.Exists(page) && !Directory.Exists(page))
            {
                yield return $"{Path.GetRelativePath(Root, file)}: {target}: no such file";
            }
            else if (hash >= 0 && !(page.EndsWith(".md", StringComparison.Ordinal) && File.Exists(page) && Anchors(File.ReadAllText(page)).Contains(target[(hash + 1)..])))
            {
                yield return $"{Path.GetRelativePath(Root, file)}: {target}: no such heading in {Path.GetRelativePath(Root, page)}";
            }
        }
    }

    // The lines outside fenced code blocks: a shell comment in a block is not a heading, a bracket there not a link.
    private static IEnumerable<string> Prose(string markdown)
    {
        var fenced = false;
        foreach (var line in markdown.Split('\n'))
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                fenced = !fenced;
                continue;
            }

            if (!fenced)
            {
                yield return line;
            }
        }
    }

    [GeneratedRegex(@"!?\[(?<text>[^\]]*)\]\((?<target>[^)\s]+)(\s+""[^""]*"")?\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"(?<ticks>`+).+?\k<ticks>", RegexOptions.Singleline)]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"^#{1,6}\s+(?<text>.+?)\s*#*\s*$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"[^\p{L}\p{M}\p{N}\p{Pc} -]")]
    private static partial Regex NotInSlug();
}
