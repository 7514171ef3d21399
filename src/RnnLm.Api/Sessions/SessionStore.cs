using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using RnnLm.Api.Infrastructure;
using RnnLm.Api.Models;
using RnnLm.Api.Scoring;

namespace RnnLm.Api.Sessions;

/// <summary>Why a session could not be made or grow: the bound reached, and when an idle session will next make room.</summary>
public sealed record SessionRefusal(string Field, string Message, TimeSpan RetryAfter);

/// <summary>
/// The streaming sessions of this process, in memory only (a restart loses them): each found by id, bounded in number
/// (<see cref="RnnLmOptions.MaxSessions"/>) and in memory all together (<see cref="RnnLmOptions.MaxSessionBytes"/>), and let go
/// after <see cref="RnnLmOptions.SessionIdleMinutes"/> without a POST. A call holds its session's gate for its whole length,
/// so two calls to one session run one after the other; calls to different sessions run side by side.
/// </summary>
/// <remarks>
/// Memory is counted, not measured: each session's estimate (<see cref="StreamSession.Measure"/>) is added to one total when
/// it is made and as it grows, reserved before the work so that concurrent calls cannot pass the bound together, and taken
/// off when the session goes. Expired sessions go at the first of: a call that finds one, a sweep every minute (or every idle
/// time, when shorter), and a request that finds the store full.
/// </remarks>
public sealed class SessionStore : IDisposable
{
    private readonly ConcurrentDictionary<string, StreamSession> _sessions = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly RnnLmOptions _options;
    private readonly ITimer _sweeper;
    private long _bytes;
    private int _count; // sessions held or being made: reserved before a session is added, so the bound holds under races

    public SessionStore(IOptions<RnnLmOptions> options, TimeProvider time)
    {
        (_options, _time) = (options.Value, time);
        var period = TimeSpan.FromTicks(Math.Clamp(IdleTime.Ticks, TimeSpan.TicksPerSecond, TimeSpan.TicksPerMinute));
        _sweeper = time.CreateTimer(_ => RemoveExpired(), null, period, period);
    }

    /// <summary>How long a session lives after its last POST.</summary>
    public TimeSpan IdleTime => TimeSpan.FromMinutes(_options.SessionIdleMinutes);

    /// <summary>Sessions held now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The memory all sessions hold together, as counted.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    public DateTimeOffset Now => _time.GetUtcNow();

    public DateTimeOffset ExpiresUtc(StreamSession session) => session.LastUsedUtc + IdleTime;

    /// <summary>
    /// Makes a session of <paramref name="model"/> under <paramref name="id"/> (a random one when null) and adds it, its gate
    /// held by the caller until the lease is disposed; or says which bound stops it.
    /// </summary>
    /// <exception cref="SessionIdTakenException">A session already has <paramref name="id"/>.</exception>
    public (SessionLease? Lease, SessionRefusal? Refusal) Create(string? id, LoadedModel model, int top)
    {
        if (id is not null && _sessions.ContainsKey(id))
        {
            throw new SessionIdTakenException(id);
        }

        if (!TryCount())
        {
            return (null, Full("sessions", $"The service holds {_options.MaxSessions:N0} sessions, as many as it may (RnnLm:MaxSessions)"));
        }

        var session = new StreamSession(id ?? NewId(), model, top, Now);
        if (!TryReserve(session.Bytes))
        {
            AddCount(-1);
            return (null, MemoryFull());
        }

        session.Gate.Wait();
        if (!_sessions.TryAdd(session.Id, session))
        {
            Release(session);
            throw new SessionIdTakenException(session.Id);
        }

        return (new SessionLease(this, session), null);
    }

    /// <summary>Waits for the session's gate: the caller has it alone until the lease is disposed.</summary>
    /// <exception cref="SessionNotFoundException">No session has the id, or it has expired (it is then let go).</exception>
    public async Task<SessionLease> EnterAsync(string id, CancellationToken cancellationToken)
    {
        if (!_sessions.TryGetValue(id, out var session))
        {
            throw NotFound(id);
        }

        await session.Gate.WaitAsync(cancellationToken);
        if (session.Closed || Now >= ExpiresUtc(session))
        {
            Close(session);
            session.Gate.Release();
            throw NotFound(id);
        }

        return new SessionLease(this, session);
    }

    /// <summary>Reserves room for <paramref name="bytes"/> more, first letting expired sessions go if there is none.</summary>
    internal SessionRefusal? Reserve(long bytes) => TryReserve(bytes) ? null : MemoryFull();

    /// <summary>Counts the session's memory anew once the work a reservation of <paramref name="reserved"/> was for is done.</summary>
    internal void Settle(StreamSession session, long reserved)
    {
        var now = session.Measure();
        AddBytes(now - session.Bytes - reserved);
        session.Bytes = now;
    }

    /// <summary>Lets the session go; the caller holds its gate.</summary>
    internal void Close(StreamSession session)
    {
        if (session.Closed)
        {
            return;
        }

        session.Closed = true;
        _sessions.TryRemove(KeyValuePair.Create(session.Id, session));
        Release(session);
    }

    /// <summary>Lets every expired session that no call holds go.</summary>
    public void RemoveExpired()
    {
        var now = Now;
        foreach (var session in _sessions.Values)
        {
            if (now >= ExpiresUtc(session) && session.Gate.Wait(0))
            {
                try
                {
                    if (now >= ExpiresUtc(session))
                    {
                        Close(session);
                    }
                }
                finally
                {
                    session.Gate.Release();
                }
            }
        }
    }

    public void Dispose() => _sweeper.Dispose();

    // Every change of the count and the total passes here, so that /metrics shows them.
    private int AddCount(int change)
    {
        var count = Interlocked.Add(ref _count, change);
        RnnLmMetrics.Sessions.Inc(change);
        return count;
    }

    private long AddBytes(long change)
    {
        var bytes = Interlocked.Add(ref _bytes, change);
        RnnLmMetrics.SessionBytes.Inc(change);
        return bytes;
    }

    private void Release(StreamSession session)
    {
        AddBytes(-session.Bytes);
        AddCount(-1);
    }

    private bool TryCount()
    {
        for (var attempt = 0; attempt < 2; attempt++)
        {
            if (AddCount(1) <= _options.MaxSessions)
            {
                return true;
            }

            AddCount(-1);
            if (attempt == 0)
            {
                RemoveExpired();
            }
        }

        return false;
    }

    private bool TryReserve(long bytes)
    {
        for (var attempt = 0; attempt < 2; attempt++)
        {
            if (AddBytes(bytes) <= _options.MaxSessionBytes)
            {
                return true;
            }

            AddBytes(-bytes);
            if (attempt == 0)
            {
                RemoveExpired();
            }
        }

        return false;
    }

    private SessionRefusal MemoryFull() => Full(
        "memory",
        string.Create(CultureInfo.InvariantCulture, $"The sessions hold {Bytes:N0} bytes of the {_options.MaxSessionBytes:N0} they may hold together (RnnLm:MaxSessionBytes)"));

    // The refusal of a full store: what is full, what to do, and when the least recently used session expires.
    private SessionRefusal Full(string field, string what)
    {
        var now = Now;
        var soonest = _sessions.Values.Select(ExpiresUtc).DefaultIfEmpty(now + IdleTime).Min();
        var wait = TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling((soonest - now).TotalSeconds)));
        var message = string.Create(CultureInfo.InvariantCulture,
            $"{what}. Delete sessions you no longer need (DELETE /sessions/{{id}}), or try again once an idle one has expired: the next does in {wait.TotalSeconds:N0} s (Retry-After).");
        return new SessionRefusal(field, message, wait);
    }

    private SessionNotFoundException NotFound(string id) => new(id, IdleTime);

    // 128 random bits: an id is the only key to a session, so it must not be guessed.
    private static string NewId() => "s" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}

/// <summary>A call's hold on one session: its gate is released when the lease is disposed.</summary>
public sealed class SessionLease(SessionStore store, StreamSession session) : IDisposable
{
    public StreamSession Session { get; } = session;

    public SessionStore Store { get; } = store;

    /// <summary>
    /// Scores the tokens in the session and keeps them, once there is room for them under RnnLm:MaxSessionBytes; otherwise
    /// changes nothing and says why.
    /// </summary>
    public (IReadOnlyList<TokenResult> Scores, SessionRefusal? Refusal) Feed(IReadOnlyList<string> tokens)
    {
        var reserved = tokens.Sum(StreamSession.TokenBytes);
        if (Store.Reserve(reserved) is { } refusal)
        {
            return ([], refusal);
        }

        try
        {
            var scores = Session.Feed(tokens, Store.Now);
            RnnLmMetrics.SessionTokens.Inc(scores.Count);
            return (scores, null);
        }
        finally
        {
            Store.Settle(Session, reserved);
        }
    }

    /// <summary>Lets the session go (DELETE, or a session that could not take its prefix).</summary>
    public void Close() => Store.Close(Session);

    public void Dispose() => Session.Gate.Release();
}
