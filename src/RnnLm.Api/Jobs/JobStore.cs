using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;
using RnnLm.Api.Infrastructure;

namespace RnnLm.Api.Jobs;

/// <summary>
/// Job records in SQLite (<c>jobs.db</c> in the data directory): one row a job, the record as JSON beside the columns
/// queries need. Every change is committed before the call returns (WAL, synchronous=FULL), so a process killed at any
/// moment loses nothing it has reported. A store that cannot be opened, read or written says so: every call then throws
/// <see cref="StorageUnavailableException"/> (answered 503, or 507 when the disk is full), never an empty answer.
/// </summary>
public class JobStore : IDisposable
{
    private const string ReadFailure = "The job store cannot be read";
    private const string WriteFailure = "The job record cannot be saved";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private readonly SqliteConnection? _connection;
    private readonly Exception? _openFailure;
    private readonly Lock _gate = new();

    public JobStore(string path)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
            _connection.Open();
            Execute("PRAGMA journal_mode=WAL;");
            Execute("PRAGMA synchronous=FULL;");
            Execute("""
                CREATE TABLE IF NOT EXISTS jobs (
                    id TEXT PRIMARY KEY,
                    created_utc TEXT NOT NULL,
                    status TEXT NOT NULL,
                    record TEXT NOT NULL
                );
                CREATE INDEX IF NOT EXISTS jobs_created ON jobs (created_utc);
                """);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SqliteException)
        {
            // Kept, not thrown: serving goes on without jobs, and every job call says why they are unavailable.
            _connection?.Dispose();
            _connection = null;
            _openFailure = e;
        }
    }

    /// <summary>Why the store could not be opened (every call throws it), or null.</summary>
    public StorageUnavailableException? Unavailable => _openFailure is null ? null : Opening("The job store cannot be opened");

    public void Insert(JobResponse job) => Write("INSERT INTO jobs (id, created_utc, status, record) VALUES ($id, $created, $status, $record);", job);

    public void Update(JobResponse job) => Write("UPDATE jobs SET status = $status, record = $record WHERE id = $id;", job);

    public void Delete(string id) => Run(WriteFailure, connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM jobs WHERE id = $id;";
        command.Parameters.AddWithValue("$id", id);
        return Execute(command);
    });

    public JobResponse? Find(string id) => Read("SELECT record FROM jobs WHERE id = $id;", ("$id", id)).FirstOrDefault();

    /// <summary>Every job, newest first.</summary>
    public IReadOnlyList<JobResponse> List() => Read("SELECT record FROM jobs ORDER BY created_utc DESC, id DESC;");

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _connection?.Dispose();
        }
    }

    /// <summary>Runs a statement that changes the database; tests override it to make the disk fail as SQLite reports it.</summary>
    protected virtual int Execute(SqliteCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return command.ExecuteNonQuery();
    }

    private void Write(string sql, JobResponse job) => Run(WriteFailure, connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$id", job.Id);
        command.Parameters.AddWithValue("$created", job.CreatedUtc.UtcDateTime.ToString("O"));
        command.Parameters.AddWithValue("$status", job.Status.ToString());
        command.Parameters.AddWithValue("$record", JsonSerializer.Serialize(job, Json));
        return Execute(command);
    });

    private List<JobResponse> Read(string sql, params (string Name, object Value)[] parameters) => Run(ReadFailure, connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        var jobs = new List<JobResponse>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            jobs.Add(JsonSerializer.Deserialize<JobResponse>(reader.GetString(0), Json) ?? throw new InvalidDataException("A job record is empty."));
        }

        return jobs;
    });

    // Every call goes through here: one lock (one connection), and storage faults become StorageUnavailableException.
    private T Run<T>(string what, Func<SqliteConnection, T> access)
    {
        var connection = _connection ?? throw Opening(what);
        lock (_gate)
        {
            return Storage.Guard(what, () => access(connection));
        }
    }

    // The open failure, told as the failure of this call.
    private StorageUnavailableException Opening(string what) =>
        Storage.Translate(_openFailure!, what) ?? new StorageUnavailableException(
            $"{what}: the jobs database in {Storage.DataDirectory} could not be opened ({(_openFailure as SqliteException)?.Message ?? _openFailure!.GetType().Name}).", false, _openFailure!);

    private void Execute(string sql)
    {
        using var command = _connection!.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
