using RnnLm.Api.Jobs;

namespace RnnLm.Api.Tests;

public sealed class JobFilesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("rnnlm-jobfiles-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task RemovingAJobWhileItsCheckpointsGoLeavesNothingBehind()
    {
        // A DELETE of a job that has just ended meets its runner dropping the checkpoints: whichever comes first, the folder goes.
        var files = new JobFiles(_root, "data/brown");
        for (var round = 0; round < 200; round++)
        {
            var id = $"j{round:D4}";
            var checkpoints = Directory.CreateDirectory(files.CheckpointsOf(id)).FullName;
            for (var i = 0; i < 20; i++)
            {
                await File.WriteAllTextAsync(Path.Combine(checkpoints, $"epoch{i}.ckpt"), "x");
            }

            await File.WriteAllTextAsync(Path.Combine(files.FolderOf(id), "train.txt"), "a b c\n");
            using var start = new Barrier(2);
            var remove = Task.Run(() => { start.SignalAndWait(); files.Remove(id); });
            var dropCheckpoints = Task.Run(() => { start.SignalAndWait(); files.RemoveCheckpoints(id); });
            await Task.WhenAll(remove, dropCheckpoints);

            Assert.False(Directory.Exists(files.FolderOf(id)), $"round {round}: the job's folder is still there");
        }
    }
}
