using RnnLm.Api.Models;
using RnnLm.Api.Scoring;
using RnnLm.Engine.Inference;

namespace RnnLm.Api.Sessions;

/// <summary>
/// One streaming session: the model it began with (pinned for good: a hot swap never reaches it), the engine's running state,
/// the tokens it has scored, and when it was made and last used. Calls to one session take its gate, one at a time
/// (<see cref="SessionStore.EnterAsync"/>); nothing here is read or written without it, except the immutable id and model.
/// </summary>
public sealed class StreamSession
{
    // The session object, its gate, id, timestamps and lists: a rough constant beside what grows.
    private const int Overhead = 512;

    private readonly List<TokenResult> _tokens = [];
    private long _keptBytes; // Σ KeptBytes over the tokens kept

    internal StreamSession(string id, LoadedModel model, int top, DateTimeOffset now)
    {
        (Id, Model, Top, CreatedUtc, LastUsedUtc) = (id, model, top, now, now);
        State = model.Model.BeginStream();
        Bytes = Measure();
    }

    public string Id { get; }

    /// <summary>The model the session began with: every call answers with it, whatever model is active meanwhile.</summary>
    public LoadedModel Model { get; }

    /// <summary>The engine's running state: h(t), c(t) and the recent words, after every token so far.</summary>
    public StreamingState State { get; }

    /// <summary>How many next words a call returns unless it asks for another number.</summary>
    public int Top { get; }

    public DateTimeOffset CreatedUtc { get; }

    public DateTimeOffset LastUsedUtc { get; private set; }

    /// <summary>Every token scored so far, in order, <c>&lt;/s&gt;</c> included.</summary>
    public IReadOnlyList<TokenResult> Tokens => _tokens;

    /// <summary>The memory the session holds as the store last counted it (<see cref="Measure"/>).</summary>
    internal long Bytes { get; set; }

    /// <summary>Set once the store has let the session go: a call that was waiting for its gate then finds it gone.</summary>
    internal bool Closed { get; set; }

    internal SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>
    /// What a token adds to a session at most: its entry in <see cref="Tokens"/> (<see cref="KeptBytes"/>) and the id the engine
    /// keeps while its sentence runs.
    /// </summary>
    public static long TokenBytes(string token) => KeptBytes(token) + sizeof(int);

    /// <summary>What the session holds now: the overhead, the engine's state and the tokens kept.</summary>
    internal long Measure() => Overhead + State.StateBytes + _keptBytes;

    // A token's entry in Tokens: the record (header, reference, double, bool), its string (header, length, UTF-16 characters)
    // and the list's slot.
    private static long KeptBytes(string token) => 40 + 24 + (2L * token.Length) + 8;

    /// <summary>Scores the tokens in order and keeps them; the session is used now.</summary>
    internal IReadOnlyList<TokenResult> Feed(IReadOnlyList<string> tokens, DateTimeOffset now)
    {
        var scores = State.Feed(tokens);
        var results = scores.Select(s => new TokenResult(s.Token, s.LogProb, s.IsUnknown)).ToArray();
        _tokens.AddRange(results);
        _keptBytes += results.Sum(r => KeptBytes(r.Token));
        LastUsedUtc = now;
        return results;
    }
}
