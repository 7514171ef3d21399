using System.Diagnostics;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using RnnLm.Api.Jobs;
using RnnLm.Api.Models;

namespace RnnLm.Api.Tests;

/// <summary>
/// Switches that make the job store and the job folders fail as a full or locked disk does: SQLite's SQLITE_FULL (13), the
/// operating system's ENOSPC (28) and EACCES (UnauthorizedAccessException). Only the lowest layer is replaced, so the service's
/// own handling of those failures is what the tests see.
/// </summary>
internal sealed class DiskFaults
{
    /// <summary>Which database changes fail (see <see cref="Changes"/>).</summary>
    public Func<SqliteCommand, bool> DatabaseFull { get; set; } = _ => false;

    /// <summary>Writing a job's text fails.</summary>
    public bool FilesFull { get; set; }

    /// <summary>Removing a job's folder fails.</summary>
    public bool RemovalDenied { get; set; }

    /// <summary>A test of database changes: the statement (INSERT, UPDATE, DELETE) and, when given, the job it changes.</summary>
    public static Func<SqliteCommand, bool> Changes(string statement, string? id = null) => command =>
        command.CommandText.StartsWith(statement, StringComparison.Ordinal)
        && (id is null || (command.Parameters.Contains("$id") && Equals(command.Parameters["$id"].Value, id)));

    /// <summary>A server on <paramref name="app"/>'s configuration whose job storage fails when these switches say so.</summary>
    public WebApplicationFactory<Program> Apply(RnnLmApplication app) => app.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
    {
        services.AddSingleton<JobStore>(provider => new FaultyStore(Path.Combine(provider.GetRequiredService<ModelRegistry>().DataDirectory, "jobs.db"), this));
        services.AddSingleton<JobFiles>(provider => new FaultyFiles(Path.Combine(provider.GetRequiredService<ModelRegistry>().DataDirectory, "jobs"), this));
    }));

    private sealed class FaultyStore(string path, DiskFaults faults) : JobStore(path)
    {
        protected override int Execute(SqliteCommand command) =>
            faults.DatabaseFull(command) ? throw new SqliteException("SQLite Error 13: 'database or disk is full'.", 13) : base.Execute(command);
    }

    private sealed class FaultyFiles(string directory, DiskFaults faults) : JobFiles(directory, "data/brown")
    {
        protected override void Write(string path, string text)
        {
            if (faults.FilesFull)
            {
                throw new IOException($"No space left on device : '{path}'", 28);
            }

            base.Write(path, text);
        }

        protected override void DeleteFolder(string path)
        {
            if (faults.RemovalDenied)
            {
                throw new UnauthorizedAccessException($"Access to the path '{path}' is denied.");
            }

            base.DeleteFolder(path);
        }
    }
}

/// <summary>A small tmpfs, mounted for a test, that can be filled for real.</summary>
internal sealed class SmallDisk : IDisposable
{
    private static readonly Lazy<string?> Probe = new(() =>
    {
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess)
        {
            return "Mounting a tmpfs to fill needs root on Linux; the injected faults of JobStorageTests cover the same paths.";
        }

        try
        {
            using var disk = new SmallDisk(64 * 1024);
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or IOException or UnauthorizedAccessException)
        {
            return $"This machine does not allow mounting a tmpfs ({e.Message}); the injected faults of JobStorageTests cover the same paths.";
        }
    });

    private int _fillers;

    public SmallDisk(long bytes)
    {
        Path = Directory.CreateTempSubdirectory("rnnlm-small-disk-").FullName;
        try
        {
            Run("mount", "-t", "tmpfs", "-o", $"size={bytes}", "tmpfs", Path);
        }
        catch
        {
            Directory.Delete(Path);
            throw;
        }
    }

    /// <summary>Why tests on a real full disk cannot run here, or null.</summary>
    public static string? Unavailable => Probe.Value;

    public string Path { get; }

    /// <summary>Writes a new file until the disk has no room left.</summary>
    public void Fill()
    {
        // Unbuffered, so that the write that fails is the one that found the disk full, and closing writes nothing more.
        using var filler = new FileStream(System.IO.Path.Combine(Path, $"filler-{++_fillers}"), FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        var block = new byte[4096];
        try
        {
            while (true)
            {
                filler.Write(block);
            }
        }
        catch (IOException e) when (e.HResult == 28)
        {
            // ENOSPC: full.
        }
    }

    /// <summary>Removes what <see cref="Fill"/> wrote.</summary>
    public void Free()
    {
        foreach (var filler in Directory.GetFiles(Path, "filler-*"))
        {
            File.Delete(filler);
        }
    }

    public void Dispose()
    {
        Run("umount", "--lazy", Path);
        Directory.Delete(Path);
    }

    private static void Run(string command, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command} failed: {error.Trim()}");
        }
    }
}

/// <summary>A fact that fills a real disk: skipped, saying why, where a tmpfs cannot be mounted (not root, not Linux, no CAP_SYS_ADMIN).</summary>
public sealed class SmallDiskFactAttribute : FactAttribute
{
    public SmallDiskFactAttribute() => Skip = SmallDisk.Unavailable;
}

/// <summary>A fact that needs file permissions to hold: skipped, saying why, as root (which reads through chmod 000) and on Windows.</summary>
public sealed class NotAsRootFactAttribute : FactAttribute
{
    public NotAsRootFactAttribute() => Skip = OperatingSystem.IsWindows() || Environment.IsPrivilegedProcess
        ? "Root reads through chmod 000; JobStorageTests.AJobStoreThatIsNotADatabaseAnswers503InsteadOfAnEmptyList covers the same path."
        : null;
}
