using RnnLm.Engine.Numerics;

namespace RnnLm.Engine.Model;

// The direct connections' part of the output layer: where each row's features' weights start in D (for the classes and
// for the words of the row's target class), their weights added to the logits before each softmax, and D's update.
// Work items on several threads read D; none writes it. The update comes after them, and takes the uses in one fixed
// order (rows in the caller's order for a full softmax; for classes the class part's rows, then each group's rows, in
// class order); each member of the team updates the entries of its own slice of D, so an entry that several uses share
// (hashing makes them collide) gets the same sum in the same order whatever the team's size.
internal sealed partial class OutputLayer<T>
{
    private int[] _featureCounts = []; // [R] features of each row
    private int[] _classStarts = []; // [R, N] where each feature's run of class weights starts
    private int[] _wordStarts = []; // [R, N] and its run of weights for the words of the row's target class
    private T[] _groupErrors = []; // [Σ count·size] every group's word errors, kept for D's update
    private int[] _groupOffsets = []; // [groups] where each group's errors start
    private OutputSink<T>? _directSink; // the sink of the update the team is running
    private int _directRows;
    private Action<int>? _updateDirectSlice;

    private bool Direct => _p.Shape.DirectSize > 0;

    // N − 1: context words a row comes with.
    private int ContextWidth => Math.Max(0, _p.Shape.DirectOrder - 1);

    // Every row's features and the starts of their runs, computed once for the forward pass and the update; as rows
    // [first, first + rows) of the call's, the rows before them kept (scoring places a batch's rows step by step).
    private void PlaceFeatures(ReadOnlySpan<int> contexts, ReadOnlySpan<int> targets, int rows, int first = 0)
    {
        var (n, width, size) = (_p.Shape.DirectOrder, ContextWidth, _p.Shape.DirectSize);
        var counts = Scratch.Kept(ref _featureCounts, first + rows).AsSpan(first);
        var classStarts = Scratch.Kept(ref _classStarts, (first + rows) * n).AsSpan(first * n);
        var wordStarts = Scratch.Kept(ref _wordStarts, (first + rows) * n).AsSpan(first * n);
        Span<ulong> keys = stackalloc ulong[n];
        for (var r = 0; r < rows; r++)
        {
            var count = counts[r] = DirectFeatures.Keys(contexts.Slice(r * width, width), keys);
            var cls = _classes?.ClassOf(targets[r]) ?? 0;
            for (var f = 0; f < count; f++)
            {
                classStarts[(r * n) + f] = _classes is null ? 0 : DirectFeatures.ClassStart(keys[f], size);
                wordStarts[(r * n) + f] = DirectFeatures.WordStart(keys[f], cls, size);
            }
        }
    }

    private ReadOnlySpan<int> ClassStarts(int row) => _classStarts.AsSpan(row * _p.Shape.DirectOrder, _featureCounts[row]);

    private ReadOnlySpan<int> WordStarts(int row) => _wordStarts.AsSpan(row * _p.Shape.DirectOrder, _featureCounts[row]);

    private void AddRuns(ReadOnlySpan<int> starts, Span<T> scores) => DirectFeatures.Add<T>(_p.Direct, starts, scores);

    // For one context (its keys): the class weights.
    private void AddClassWeights(ReadOnlySpan<ulong> keys, Span<T> scores)
    {
        Span<int> starts = stackalloc int[keys.Length];
        for (var f = 0; f < keys.Length; f++)
        {
            starts[f] = DirectFeatures.ClassStart(keys[f], _p.Shape.DirectSize);
        }

        AddRuns(starts, scores);
    }

    // For one context (its keys): the weights of the words of class cls (0 for a full softmax, all of whose words are class 0's).
    private void AddWordWeights(ReadOnlySpan<ulong> keys, int cls, Span<T> scores)
    {
        Span<int> starts = stackalloc int[keys.Length];
        for (var f = 0; f < keys.Length; f++)
        {
            starts[f] = DirectFeatures.WordStart(keys[f], cls, _p.Shape.DirectSize);
        }

        AddRuns(starts, scores);
    }

    // Rows [from, to) of a full softmax's logits ([R, |V|]).
    private void AddFullWeights(T[] logits, int from, int to)
    {
        var v = _p.Shape.VocabularySize;
        for (var r = from; Direct && r < to; r++)
        {
            AddRuns(WordStarts(r), logits.AsSpan(r * v, v));
        }
    }

    // The class part's logits ([R, C]) in class order: sorted row i is the caller's row _order[i].
    private void AddSortedClassWeights(T[] logits, int rows, int c)
    {
        for (var i = 0; Direct && i < rows; i++)
        {
            AddRuns(ClassStarts(_order[i]), logits.AsSpan(i * c, c));
        }
    }

    // A group's word logits ([count, size]), for the sorted rows [start, start + count).
    private void AddGroupWeights(Span<T> wordLogits, int start, int count, int size)
    {
        for (var i = 0; Direct && i < count; i++)
        {
            AddRuns(WordStarts(_order[start + i]), wordLogits.Slice(i * size, size));
        }
    }

    // Room for every group's word errors side by side: a thread's scratch is reused from group to group, and D's
    // update needs them all once the groups are done.
    private void KeepGroupErrors(ClassMap classes)
    {
        var offsets = Scratch.Ensure(ref _groupOffsets, _groups.Count);
        var total = 0;
        for (var g = 0; g < _groups.Count; g++)
        {
            var (start, end) = _groups[g];
            offsets[g] = total;
            total += (end - start) * classes.Size(_classTargets[start]);
        }

        Scratch.Ensure(ref _groupErrors, total);
    }

    private Span<T> GroupErrors(int g, int length) => _groupErrors.AsSpan(_groupOffsets[g], length);

    /// <summary>
    /// Adds to <paramref name="runs"/> the runs of D that the last <see cref="Run"/> of <paramref name="rows"/> rows read,
    /// as (start, length), row by row: a row's runs of class weights, then its runs of weights for the words of its target's
    /// class (<paramref name="targets"/>, the call's). A run may wrap past the table's end; runs of several rows may overlap.
    /// </summary>
    public void DirectRuns(ReadOnlySpan<int> targets, int rows, List<(int Start, int Length)> runs)
    {
        for (var r = 0; Direct && r < rows; r++)
        {
            if (_classes is not null)
            {
                foreach (var start in ClassStarts(r))
                {
                    runs.Add((start, _classes.ClassCount));
                }
            }

            var length = _classes?.Size(_classes.ClassOf(targets[r])) ?? _p.Shape.VocabularySize;
            foreach (var start in WordStarts(r))
            {
                runs.Add((start, length));
            }
        }
    }

    /// <summary>
    /// When set, a <see cref="Run"/> with a sink leaves its update of D pending (<see cref="DirectUpdatePending"/>), for the
    /// caller to take in parts (<see cref="UpdateDirectPart"/>, every part once) on the team's threads while they do other
    /// work that does not read D, and end with <see cref="EndDirectUpdate"/>, before the next Run. The bits are those of
    /// the update within Run, however the parts are shared out.
    /// </summary>
    public bool DeferDirectUpdate { get; init; }

    /// <summary>A deferred update of D waits for its parts.</summary>
    public bool DirectUpdatePending => _directSink is not null;

    /// <summary>Part <paramref name="part"/> of <paramref name="parts"/> of the pending update of D: its slice of D's entries.</summary>
    public void UpdateDirectPart(int part, int parts) => UpdateDirectSlice(WorkTeam.Split(_directSink!.Target.Direct.Length, parts, part));

    /// <summary>The pending update of D has had all its parts.</summary>
    public void EndDirectUpdate() => _directSink = null;

    // D += scale·(yhat − y) − decay·D at every use, from the errors the softmaxes left (already scaled by the sink),
    // each member on its slice of D; or left pending (DeferDirectUpdate).
    private void UpdateDirect(OutputSink<T> sink, int rows)
    {
        (_directSink, _directRows) = (sink, rows);
        if (!DeferDirectUpdate)
        {
            FinishDirectUpdate();
        }
    }

    /// <summary>The whole pending update of D, now, each member of the team on its slice of D's entries.</summary>
    public void FinishDirectUpdate()
    {
        if (_team.Size > 1)
        {
            _team.Run(_updateDirectSlice ??= member => UpdateDirectPart(member, _team.Size));
        }
        else
        {
            UpdateDirectPart(0, 1);
        }

        EndDirectUpdate();
    }

    private void UpdateDirectSlice((int From, int To) entries)
    {
        var (sink, rows) = (_directSink!, _directRows);
        var table = sink.Target.Direct.AsSpan();
        var decay = sink.DirectDecay;
        var (from, to) = entries;
        if (_classes is null)
        {
            var v = _p.Shape.VocabularySize;
            for (var r = 0; r < rows; r++)
            {
                foreach (var start in WordStarts(r))
                {
                    DirectFeatures.Update<T>(table, start, _logits.AsSpan(r * v, v), decay, from, to);
                }
            }

            return;
        }

        var c = _classes.ClassCount;
        for (var i = 0; i < rows; i++)
        {
            foreach (var start in ClassStarts(_order[i]))
            {
                DirectFeatures.Update<T>(table, start, _logits.AsSpan(i * c, c), decay, from, to);
            }
        }

        for (var g = 0; g < _groups.Count; g++)
        {
            var (first, end) = _groups[g];
            var width = _classes.Size(_classTargets[first]);
            for (var i = first; i < end; i++)
            {
                foreach (var start in WordStarts(_order[i]))
                {
                    DirectFeatures.Update<T>(table, start, _groupErrors.AsSpan(_groupOffsets[g] + ((i - first) * width), width), decay, from, to);
                }
            }
        }
    }
}
