using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;

namespace RnnLm.Api.Jobs;

/// <summary>
/// Job records in SQLite (<c>jobs.db</c> in the data directory): one row a job, the record as JSON beside the columns
/// queries need. Every change is committed before the call returns (WAL, synchronous=FULL), so a process killed at any
/// moment loses nothing it has reported.
/// </summary>
public sealed class JobStore : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private readonly SqliteConnection _connection;
    private readonly Lock _gate = new();

    public JobStore(string path)
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

    public void Insert(JobResponse job) => Write("INSERT INTO jobs (id, created_utc, status, record) VALUES ($id, $created, $status, $record);", job);

    public void Update(JobResponse job) => Write("UPDATE jobs SET status = $status, record = $record WHERE id = $id;", job);

    public void Delete(string id)
    {
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "DELETE FROM jobs WHERE id = $id;";
            command.Parameters.AddWithValue("$id", id);
            command.ExecuteNonQuery();
        }
    }

    public JobResponse? Find(string id) => Read("SELECT record FROM jobs WHERE id = $id;", ("$id", id)).FirstOrDefault();

    /// <summary>Every job, newest first.</summary>
    public IReadOnlyList<JobResponse> List() => Read("SELECT record FROM jobs ORDER BY created_utc DESC, id DESC;");

    public void Dispose() => _connection.Dispose();

    private void Write(string sql, JobResponse job)
    {
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = sql;
            command.Parameters.AddWithValue("$id", job.Id);
            command.Parameters.AddWithValue("$created", job.CreatedUtc.UtcDateTime.ToString("O"));
            command.Parameters.AddWithValue("$status", job.Status.ToString());
            command.Parameters.AddWithValue("$record", JsonSerializer.Serialize(job, Json));
            command.ExecuteNonQuery();
        }
    }

    private List<JobResponse> Read(string sql, params (string Name, object Value)[] parameters)
    {
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
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
        }
    }

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
