using RnnLm.Api.Infrastructure;
using RnnLm.Api.Models;
using RnnLm.Engine.Data;
using RnnLm.Engine.IO;
using RnnLm.Engine.Training;

namespace RnnLm.Api.Jobs;

/// <summary>
/// What a job keeps on disk, in <c>DataDirectory/jobs/ID/</c>: the text a client sent (<c>train.txt</c>, <c>valid.txt</c>),
/// kept until the job is deleted (or its model is), and the checkpoints of a job in progress (<c>checkpoints/</c>), kept
/// until it ends. Jobs on the Brown corpus read the shared corpus and keep only checkpoints. Storage faults surface as
/// <see cref="StorageUnavailableException"/>, and a submission whose text cannot be written leaves nothing behind.
/// </summary>
public class JobFiles(string directory, string brownDirectory)
{
    private const string TrainFile = "train.txt";
    private const string ValidFile = "valid.txt";

    // Removals of one job's files can meet (a DELETE while its runner drops the checkpoints of the job that just ended): a
    // recursive delete that finds a subfolder gone half-way would otherwise stop and leave the folder behind.
    private readonly Lock _removing = new();

    /// <summary>The folder that holds one folder per job (<c>DataDirectory/jobs</c>).</summary>
    public string Root { get; } = directory;

    /// <summary>The folder of the built-in Brown corpus (train.txt, valid.txt).</summary>
    public string BrownDirectory { get; } = brownDirectory;

    public string FolderOf(string id) => Path.Combine(Root, id);

    public string CheckpointsOf(string id) => Path.Combine(FolderOf(id), "checkpoints");

    /// <summary>Writes a submission's text into a new folder for the job; when that fails, removes whatever it wrote.</summary>
    /// <exception cref="StorageUnavailableException">The text cannot be written (nothing is left behind).</exception>
    public void Stage(string id, JobSubmission submission)
    {
        ArgumentNullException.ThrowIfNull(submission);
        var folder = FolderOf(id);
        try
        {
            Storage.Guard("The training text cannot be saved", () =>
            {
                Directory.CreateDirectory(folder);
                if (submission.Train is { } train)
                {
                    Write(Path.Combine(folder, TrainFile), Lines(train));
                }

                if (submission.Valid is { } valid)
                {
                    Write(Path.Combine(folder, ValidFile), Lines(valid));
                }
            });
        }
        catch
        {
            TryRemove(id);
            throw;
        }
    }

    /// <summary>Removes everything the job keeps: its text and checkpoints. Removing what is already gone is not an error.</summary>
    /// <returns>True when there was something to remove.</returns>
    /// <exception cref="StorageUnavailableException">The files cannot be removed (some may be gone; removing again finishes the work).</exception>
    public bool Remove(string id) => Storage.Guard("The job's stored text and checkpoints cannot be removed", () => DeleteIfPresent(FolderOf(id)));

    /// <summary>Removes the checkpoints of a job that has ended; its text stays.</summary>
    /// <exception cref="StorageUnavailableException">The checkpoints cannot be removed.</exception>
    public void RemoveCheckpoints(string id) => Storage.Guard("The job's checkpoints cannot be removed", () =>
    {
        lock (_removing)
        {
            DeleteIfPresent(CheckpointsOf(id));
            var folder = FolderOf(id);
            if (Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any())
            {
                DeleteIfPresent(folder); // a job on the Brown corpus keeps nothing else
            }
        }
    });

    /// <summary>The job's training and validation sentences: the Brown corpus, or the text it was sent (with validation held out of it when none was sent).</summary>
    /// <exception cref="InvalidDataException">The text it was sent is no longer kept.</exception>
    public (IReadOnlyList<string[]> Train, IReadOnlyList<string[]> Valid) Read(JobResponse job)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.Data.Source == "brown")
        {
            return (TextCorpus.Read(Path.Combine(BrownDirectory, TrainFile)), TextCorpus.Read(Path.Combine(BrownDirectory, ValidFile)));
        }

        var folder = FolderOf(job.Id);
        var trainPath = Path.Combine(folder, TrainFile);
        if (!File.Exists(trainPath))
        {
            throw new InvalidDataException("The training text this job was sent is no longer kept (it was removed, or the data directory changed); submit the job again.");
        }

        var train = TextCorpus.Read(trainPath);
        var validPath = Path.Combine(folder, ValidFile);
        return File.Exists(validPath)
            ? (train, TextCorpus.Read(validPath))
            : HeldOut.Split(train, job.Settings.ValidFraction ?? HeldOut.DefaultFraction, job.Settings.Training.Seed);
    }

    /// <summary>
    /// Removes, as far as it can, the folders of jobs that have no record and were last written before <paramref name="before"/>:
    /// submissions whose process died between writing the text and writing the record.
    /// </summary>
    public void RemoveOrphans(IReadOnlySet<string> known, DateTime before)
    {
        ArgumentNullException.ThrowIfNull(known);
        try
        {
            foreach (var folder in Directory.Exists(Root) ? Directory.GetDirectories(Root) : [])
            {
                var id = Path.GetFileName(folder);
                if (ModelRegistry.IsValidId(id) && !known.Contains(id) && Directory.GetLastWriteTimeUtc(folder) < before)
                {
                    TryRemove(id);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next start: a leftover folder harms nothing.
        }
    }

    /// <summary>Removes a job's folder, as far as it can, without throwing: the clean-up after a failure.</summary>
    public void TryRemove(string id)
    {
        try
        {
            DeleteIfPresent(FolderOf(id));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The failure being cleaned up after is the one to report.
        }
    }

    /// <summary>Writes one of a job's files, whole or not at all; tests override it to make the disk fail as the operating system reports it.</summary>
    protected virtual void Write(string path, string text) => AtomicFile.WriteAllText(path, text);

    /// <summary>Deletes a folder and what it holds; tests override it to make removal fail.</summary>
    protected virtual void DeleteFolder(string path) => Directory.Delete(path, recursive: true);

    private bool DeleteIfPresent(string folder)
    {
        lock (_removing)
        {
            if (!Directory.Exists(folder))
            {
                return false;
            }

            try
            {
                DeleteFolder(folder);
            }
            catch (DirectoryNotFoundException) when (!Directory.Exists(folder))
            {
                // Removed meanwhile by another process: what was asked for is done.
            }

            return true;
        }
    }

    private static string Lines(IReadOnlyList<string[]> sentences) => string.Concat(sentences.Select(s => string.Join(' ', s) + "\n"));
}
