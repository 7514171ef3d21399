using RnnLm.Engine.IO;

namespace RnnLm.Engine.Tests;

/// <summary>The one lookup of the repository's files that the CLI, the API and the tests share.</summary>
public sealed class RepoPathsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("repo-paths-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void ARelativePathIsFoundInTheFirstFolderAboveAStartThatHoldsIt()
    {
        var deep = Directory.CreateDirectory(Path.Combine(_root, "src", "Project", "bin")).FullName;
        Directory.CreateDirectory(Path.Combine(_root, "models"));
        File.WriteAllText(Path.Combine(_root, "models", "m.rnnlm"), "");
        Directory.CreateDirectory(Path.Combine(_root, "src", "models"));
        File.WriteAllText(Path.Combine(_root, "src", "models", "m.rnnlm"), "");

        Assert.Equal(Path.Combine(_root, "src", "models", "m.rnnlm"), RepoPaths.Find("models/m.rnnlm", deep));
    }

    [Fact]
    public void FoldersAreFoundLikeFiles()
    {
        var deep = Directory.CreateDirectory(Path.Combine(_root, "a", "b")).FullName;
        Directory.CreateDirectory(Path.Combine(_root, "data", "brown"));

        Assert.Equal(Path.Combine(_root, "data", "brown"), RepoPaths.Find("data/brown", deep));
    }

    [Fact]
    public void StartsAreTriedInOrderEachWithEveryFolderAboveIt()
    {
        var first = Directory.CreateDirectory(Path.Combine(_root, "one", "inner")).FullName;
        var second = Directory.CreateDirectory(Path.Combine(_root, "two")).FullName;
        File.WriteAllText(Path.Combine(second, "x.txt"), "");
        File.WriteAllText(Path.Combine(_root, "x.txt"), "");

        Assert.Equal(Path.Combine(_root, "x.txt"), RepoPaths.Find("x.txt", first, second));
        Assert.Equal(Path.Combine(second, "x.txt"), RepoPaths.Find("x.txt", second, first));
    }

    [Fact]
    public void APathFoundNowhereIsNullAndAnAbsolutePathIsKeptAsItIs()
    {
        Assert.Null(RepoPaths.Find($"no-such-{Guid.NewGuid():N}/file", _root));
        var absolute = Path.Combine(_root, "missing.rnnlm");
        Assert.Equal(absolute, RepoPaths.Find(absolute, "/elsewhere"));
    }
}
