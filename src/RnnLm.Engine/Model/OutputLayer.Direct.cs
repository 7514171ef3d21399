namespace RnnLm.Engine.Model;

// The direct connections' part of the output layer: each row's feature keys, their weights added to the logits before
// each softmax, and D's update. Work items on several threads read D; none writes it. The update comes after them,
// on one thread, taking the uses in one fixed order (rows in the caller's order for a full softmax; for classes the
// class part's rows, then each group's rows, in class order), so an entry that several uses share (hashing makes them
// collide) gets the same sum in the same order whatever the team's size.
internal sealed partial class OutputLayer<T>
{
    private ulong[] _keys = []; // [R, N] each row's feature keys, the first _featureCounts[r] of them valid
    private int[] _featureCounts = []; // [R]
    private T[] _groupErrors = []; // [Σ count·size] every group's word errors, kept for D's update
    private int[] _groupOffsets = []; // [groups] where each group's errors start

    private bool Direct => _p.Shape.DirectSize > 0;

    // N − 1: context words a row comes with.
    private int ContextWidth => Math.Max(0, _p.Shape.DirectOrder - 1);

    private void HashContexts(int[] contexts, int rows)
    {
        var (n, width) = (_p.Shape.DirectOrder, ContextWidth);
        var keys = Ensure(ref _keys, rows * n);
        var counts = Ensure(ref _featureCounts, rows);
        for (var r = 0; r < rows; r++)
        {
            counts[r] = DirectFeatures.Keys(contexts.AsSpan(r * width, width), keys.AsSpan(r * n, n));
        }
    }

    private ReadOnlySpan<ulong> KeysOf(int row) => _keys.AsSpan(row * _p.Shape.DirectOrder, _featureCounts[row]);

    private void AddClassWeights(ReadOnlySpan<ulong> keys, Span<T> scores)
    {
        foreach (var key in keys)
        {
            DirectFeatures.Add<T>(_p.Direct, DirectFeatures.ClassStart(key, _p.Shape.DirectSize), scores);
        }
    }

    private void AddWordWeights(ReadOnlySpan<ulong> keys, int cls, Span<T> scores)
    {
        foreach (var key in keys)
        {
            DirectFeatures.Add<T>(_p.Direct, DirectFeatures.WordStart(key, cls, _p.Shape.DirectSize), scores);
        }
    }

    // Rows [from, to) of a full softmax's logits ([R, |V|]): all words are class 0.
    private void AddFullWeights(T[] logits, int from, int to)
    {
        var v = _p.Shape.VocabularySize;
        for (var r = from; Direct && r < to; r++)
        {
            AddWordWeights(KeysOf(r), 0, logits.AsSpan(r * v, v));
        }
    }

    // The class part's logits ([R, C]) in class order: sorted row i is the caller's row _order[i].
    private void AddSortedClassWeights(T[] logits, int rows, int c)
    {
        for (var i = 0; Direct && i < rows; i++)
        {
            AddClassWeights(KeysOf(_order[i]), logits.AsSpan(i * c, c));
        }
    }

    // A group's word logits ([count, size]), for the sorted rows [start, start + count) of class cls.
    private void AddGroupWeights(Span<T> wordLogits, int start, int count, int cls, int size)
    {
        for (var i = 0; Direct && i < count; i++)
        {
            AddWordWeights(KeysOf(_order[start + i]), cls, wordLogits.Slice(i * size, size));
        }
    }

    // Room for every group's word errors side by side: a thread's scratch is reused from group to group, and D's
    // update needs them all once the groups are done.
    private void KeepGroupErrors(ClassMap classes)
    {
        var offsets = Ensure(ref _groupOffsets, _groups.Count);
        var total = 0;
        for (var g = 0; g < _groups.Count; g++)
        {
            var (start, end) = _groups[g];
            offsets[g] = total;
            total += (end - start) * classes.Size(_classTargets[start]);
        }

        Ensure(ref _groupErrors, total);
    }

    private Span<T> GroupErrors(int g, int length) => _groupErrors.AsSpan(_groupOffsets[g], length);

    // D += scale·(yhat − y) − decay·D at every use, from the errors the softmaxes left (already scaled by the sink).
    private void UpdateFullWeights(T[] errors, int rows, OutputSink<T> sink)
    {
        var (v, size, table) = (_p.Shape.VocabularySize, _p.Shape.DirectSize, sink.Target.Direct);
        for (var r = 0; Direct && r < rows; r++)
        {
            foreach (var key in KeysOf(r))
            {
                DirectFeatures.Update<T>(table, DirectFeatures.WordStart(key, 0, size), errors.AsSpan(r * v, v), sink.DirectDecay);
            }
        }
    }

    private void UpdateClassWeights(ClassCall call)
    {
        var (classes, sink) = (call.Classes, call.Sink!);
        var (c, size, table) = (classes.ClassCount, _p.Shape.DirectSize, sink.Target.Direct);
        for (var i = 0; i < call.Rows; i++)
        {
            foreach (var key in KeysOf(_order[i]))
            {
                DirectFeatures.Update<T>(table, DirectFeatures.ClassStart(key, size), _logits.AsSpan(i * c, c), sink.DirectDecay);
            }
        }

        for (var g = 0; g < _groups.Count; g++)
        {
            var (start, end) = _groups[g];
            var cls = _classTargets[start];
            var width = classes.Size(cls);
            for (var i = start; i < end; i++)
            {
                var errors = _groupErrors.AsSpan(_groupOffsets[g] + ((i - start) * width), width);
                foreach (var key in KeysOf(_order[i]))
                {
                    DirectFeatures.Update<T>(table, DirectFeatures.WordStart(key, cls, size), errors, sink.DirectDecay);
                }
            }
        }
    }
}
