using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace RnnLm.Engine.Numerics;

/// <summary>
/// A fixed team of threads that run one piece of work together, many times a second: the caller is member 0,
/// the others are threads of the team's own that stay awake between pieces.
/// </summary>
/// <remarks>
/// Training hands work to the other core thousands of times a second, in pieces of 20–200 µs. Parallel.For
/// wakes a pool thread for each, which costs about as much as the piece; a member here spins for a while after
/// each piece (<see cref="SpinTime"/>), so the next one starts at once, and then sleeps until it is needed.
/// What each member does is up to the work: split by <see cref="Split"/>, the split is fixed, so results can
/// be made not to depend on which thread did what.
/// </remarks>
internal sealed class WorkTeam : IDisposable
{
    private static readonly long SpinTime = Stopwatch.Frequency / 5000; // 200 µs
    private readonly Thread[] _workers;
    private readonly object _gate = new();
    private Action<int>? _work;
    private int _generation; // counts the pieces handed out
    private int _running; // workers still in the current piece
    private int _sleeping;
    private Exception? _failure;
    private volatile bool _disposed;

    /// <summary>Starts a team of <paramref name="size"/> members: the caller of <see cref="Run"/> and size − 1 threads.</summary>
    public WorkTeam(int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        Size = size;
        _workers = new Thread[size - 1];
        for (var i = 0; i < _workers.Length; i++)
        {
            var member = i + 1;
            _workers[i] = new Thread(() => Work(member)) { IsBackground = true, Name = $"RnnLm worker {member}" };
            _workers[i].Start();
        }
    }

    /// <summary>A team of one: the caller does everything, and no thread is started.</summary>
    public static WorkTeam Single { get; } = new(1);

    public int Size { get; }

    /// <summary>The part [Start, End) of <paramref name="length"/> items that <paramref name="member"/> of <paramref name="parts"/> takes.</summary>
    public static (int Start, int End) Split(int length, int parts, int member) =>
        ((int)((long)length * member / parts), (int)((long)length * (member + 1) / parts));

    /// <summary>
    /// Runs <paramref name="work"/>(member) on every member at once and returns when all are done; an exception
    /// thrown by any member is thrown here, after the others have finished. Not reentrant: one piece at a time.
    /// </summary>
    public void Run(Action<int> work)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_workers.Length == 0)
        {
            work(0);
            return;
        }

        _work = work;
        _failure = null;
        Volatile.Write(ref _running, _workers.Length);
        Interlocked.Increment(ref _generation); // a full fence: _work is visible before the new generation is
        if (Volatile.Read(ref _sleeping) > 0)
        {
            lock (_gate)
            {
                Monitor.PulseAll(_gate);
            }
        }

        try
        {
            work(0);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _failure, e, null);
        }

        // The others are usually a few microseconds behind: wait without a system call at first (a yield per
        // spin measurably slowed the other core here), then give the core away while waiting.
        var since = Stopwatch.GetTimestamp();
        var spinner = default(SpinWait);
        while (Volatile.Read(ref _running) > 0)
        {
            if (Stopwatch.GetTimestamp() - since < SpinTime)
            {
                Thread.SpinWait(1);
            }
            else
            {
                spinner.SpinOnce(sleep1Threshold: -1);
            }
        }

        _work = null;
        if (_failure is { } failure)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        lock (_gate)
        {
            Monitor.PulseAll(_gate);
        }

        foreach (var worker in _workers)
        {
            worker.Join();
        }
    }

    private void Work(int member)
    {
        var seen = 0;
        while (true)
        {
            var since = Stopwatch.GetTimestamp();
            while (Volatile.Read(ref _generation) == seen && !_disposed)
            {
                if (Stopwatch.GetTimestamp() - since < SpinTime)
                {
                    Thread.SpinWait(1);
                    continue;
                }

                lock (_gate)
                {
                    // Counted before the generation is read again (both full fences), so Run either sees a
                    // sleeper and pulses, or this thread sees the new generation and does not wait.
                    Interlocked.Increment(ref _sleeping);
                    while (Volatile.Read(ref _generation) == seen && !_disposed)
                    {
                        Monitor.Wait(_gate);
                    }

                    Interlocked.Decrement(ref _sleeping);
                }
            }

            if (_disposed)
            {
                return;
            }

            seen++;
            try
            {
                _work!(member);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
            }

            Interlocked.Decrement(ref _running);
        }
    }
}
