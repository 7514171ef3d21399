using RnnLm.Engine.IO;

namespace RnnLm.Engine.Tests;

/// <summary>The one atomic write: the model file, the card, checkpoints, the Brown splits and the service's files go through it.</summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("atomic-file-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void WritingReplacesTheWholeFileAndLeavesNothingElseBehind()
    {
        var path = Path.Combine(_folder, "data.bin");
        File.WriteAllText(path, "an older, longer file that must be replaced entirely");

        AtomicFile.WriteAllBytes(path, [1, 2, 3]);
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        AtomicFile.WriteAllText(path, "é\n");

        Assert.Equal("é\n"u8.ToArray(), File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_folder));
    }

    [Fact]
    public void AWriteThatCannotBeRenamedIntoPlaceLeavesNoTemporaryFile()
    {
        // A folder where the file should go: the rename fails after the data was written.
        var path = Directory.CreateDirectory(Path.Combine(_folder, "taken")).FullName;

        Assert.ThrowsAny<IOException>(() => AtomicFile.WriteAllBytes(path, [1, 2, 3]));

        Assert.Empty(Directory.GetFiles(_folder));
    }
}
