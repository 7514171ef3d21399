using Microsoft.Data.Sqlite;

namespace RnnLm.Api.Infrastructure;

/// <summary>
/// The service's storage cannot take a write or give a read: its disk is full, or it is read-only, unreadable, damaged or
/// failing. <see cref="ApiExceptionHandler"/> answers it with 507 (full) or 503 (anything else); the message says what could
/// not be done, why and what to do, and names settings rather than server paths (the log has the exception).
/// </summary>
public sealed class StorageUnavailableException(string message, bool full, Exception innerException) : ApiException(
    full ? StatusCodes.Status507InsufficientStorage : StatusCodes.Status503ServiceUnavailable,
    full ? "Insufficient storage" : "Storage unavailable",
    "storage",
    message,
    innerException)
{
    /// <summary>True when the disk is full or over its quota.</summary>
    public bool Full { get; } = full;
}

/// <summary>Recognises storage faults (SQLite result codes, operating-system errors) and turns them into <see cref="StorageUnavailableException"/>.</summary>
public static class Storage
{
    /// <summary>How messages name the data directory: by its setting, never by its path.</summary>
    public const string DataDirectory = "the data directory (RnnLm__DataDirectory)";

    // SQLite primary result codes (https://sqlite.org/rescode.html).
    private const int SqlitePerm = 3, SqliteReadOnly = 8, SqliteIoError = 10, SqliteCorrupt = 11, SqliteFull = 13, SqliteCantOpen = 14, SqliteNotADatabase = 26;

    // errno values; on Unix .NET puts the errno of a failed call in IOException.HResult.
    private const int Eio = 5, Enospc = 28, Erofs = 30;
    private static readonly int Edquot = OperatingSystem.IsMacOS() ? 69 : 122;

    // Windows: HRESULT_FROM_WIN32 of ERROR_HANDLE_DISK_FULL, ERROR_DISK_FULL, ERROR_DISK_QUOTA_EXCEEDED, ERROR_WRITE_PROTECT.
    private const int WinHandleDiskFull = unchecked((int)0x80070027), WinDiskFull = unchecked((int)0x80070070), WinQuota = unchecked((int)0x80070718), WinWriteProtect = unchecked((int)0x80070013);

    /// <summary>Runs an access to <paramref name="place"/>; a storage fault becomes a <see cref="StorageUnavailableException"/> whose message starts with <paramref name="what"/>.</summary>
    public static T Guard<T>(string what, Func<T> access, string place = DataDirectory)
    {
        ArgumentNullException.ThrowIfNull(access);
        try
        {
            return access();
        }
        catch (Exception e) when (Translate(e, what, place) is { } fault && fault != e)
        {
            throw fault;
        }
    }

    /// <inheritdoc cref="Guard{T}(string, Func{T}, string)"/>
    public static void Guard(string what, Action access, string place = DataDirectory) => Guard(what, () =>
    {
        access();
        return true;
    }, place);

    /// <summary>
    /// The storage fault <paramref name="exception"/> stands for, with a message "<paramref name="what"/>: why. What to do.";
    /// null when it is not one (a missing file, a bug), so that it keeps its own handling.
    /// </summary>
    public static StorageUnavailableException? Translate(Exception exception, string what, string place = DataDirectory) => exception switch
    {
        StorageUnavailableException known => known,
        _ when Reason(exception, place) is { } reason => new StorageUnavailableException($"{what}: {reason.Text}", reason.Full, exception),
        _ => null,
    };

    /// <summary>An error the operating system reported (its errno or Win32 code is in HResult), as opposed to one .NET or a parser raised itself.</summary>
    public static bool IsOperatingSystemError(IOException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return OperatingSystem.IsWindows() ? (exception.HResult & 0xFFFF0000) == 0x80070000 : exception.HResult is > 0 and < 4096;
    }

    private static (string Text, bool Full)? Reason(Exception exception, string place) => exception switch
    {
        SqliteException sqlite => (sqlite.SqliteErrorCode & 0xFF) switch
        {
            SqliteFull => Full(place),
            SqliteReadOnly => ReadOnly(place),
            SqlitePerm => Denied(place),
            SqliteIoError => Failing(place),
            SqliteCantOpen => ($"the jobs database (jobs.db in {place}) cannot be opened. Check that the folder exists, is a folder, and that the service may read and write it.", false),
            SqliteCorrupt or SqliteNotADatabase => ($"the jobs database (jobs.db in {place}) is damaged or is not a SQLite database. Restore it from a backup, or move it aside to start with no jobs.", false),
            _ => null,
        },
        UnauthorizedAccessException => Denied(place),
        FileNotFoundException or DirectoryNotFoundException => null,
        IOException io when IsDiskFull(io.HResult) => Full(place),
        IOException io when io.HResult is Erofs or WinWriteProtect => ReadOnly(place),
        IOException io when io.HResult is Eio => Failing(place),
        IOException => ($"{place} could not be read or written. Check that it is a folder the service may write to; the service's log has the details.", false),
        _ => null,
    };

    private static bool IsDiskFull(int hResult) => OperatingSystem.IsWindows() ? hResult is WinHandleDiskFull or WinDiskFull or WinQuota : hResult == Enospc || hResult == Edquot;

    private static (string, bool) Full(string place) => ($"the disk of {place} is full or over its quota. Free space there, or move it to a larger volume.", true);

    private static (string, bool) ReadOnly(string place) => ($"{place} is read-only. Mount it read-write, or point the setting at a writable folder.", false);

    private static (string, bool) Denied(string place) => ($"the service is not allowed to read or write {place}. Give the service's user access to it, or point the setting at a folder it owns.", false);

    private static (string, bool) Failing(string place) => ($"the disk of {place} reported an I/O error. Check the disk; the service's log has the details.", false);
}
