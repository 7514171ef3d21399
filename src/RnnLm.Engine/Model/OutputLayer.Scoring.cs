using System.Runtime.InteropServices;
using RnnLm.Engine.Numerics;

namespace RnnLm.Engine.Model;

// Scoring with a class layer (inference, float): only each row's log-probability is wanted, and rows are independent.
// So the class part can run over any rows as they come (a batch scored in lock-step runs it step by step, while the
// step's hidden states are still in cache), and the word part counts the rows into their classes instead of sorting
// them, and reads each class's rows of the hidden states in place, through their indices, instead of from a copy in
// class order. Every row's products, softmaxes and sum are those RunClasses computes for it, so the bits are its bits.
internal sealed partial class OutputLayer<T>
{
    private int[] _classFill = []; // [C + 1] the counting sort: where each class's next row goes
    private int[] _rowClasses = []; // [R] each row's target class, in the caller's order, kept by ScoreClasses
    private int _keptRows; // rows [0, _keptRows) whose classes (and features) ScoreClasses kept since the last ScoreWords

    /// <summary>
    /// A class layer's log P(c(targets[r]) | h_r, contexts[r]) for each row r of <paramref name="hidden"/> ([R, Dh]), into
    /// <paramref name="classLogProbs"/> ([R]); R is the number of targets. <paramref name="contexts"/> ([R, N − 1]) is read
    /// with direct connections only. The rows are rows [<paramref name="firstRow"/>, firstRow + R) of the batch that a
    /// <see cref="ScoreWords"/> then takes: each row's target class and, with direct connections, its features are kept
    /// for it there, so that it neither looks them up nor hashes them again. With ScoreWords after calls that cover its
    /// rows, the log-probabilities <see cref="Run"/> gives.
    /// </summary>
    /// <exception cref="ArgumentException">A span is too short for the rows.</exception>
    /// <exception cref="InvalidOperationException">The layer is a full softmax.</exception>
    public void ScoreClasses(ReadOnlySpan<T> hidden, ReadOnlySpan<int> targets, ReadOnlySpan<int> contexts, Span<T> classLogProbs, int firstRow = 0)
    {
        var classes = ClassesOrThrow();
        var (c, dh, rows) = (classes.ClassCount, _p.Shape.Hidden, targets.Length);
        ArgumentOutOfRangeException.ThrowIfNegative(firstRow);
        if (hidden.Length < rows * dh || classLogProbs.Length < rows || (Direct && contexts.Length < rows * ContextWidth))
        {
            throw new ArgumentException("Class scoring buffers are too small for the rows.");
        }

        if (rows == 0)
        {
            return;
        }

        if (Direct)
        {
            PlaceFeatures(contexts, targets, rows, firstRow);
            for (var r = firstRow; r < firstRow + rows; r++)
            {
                DirectFeatures.Prefetch<T>(_p.Direct, ClassStarts(r), c);
            }
        }

        var rowClasses = Scratch.Kept(ref _rowClasses, firstRow + rows).AsSpan(firstRow, rows);
        _keptRows = Math.Max(_keptRows, firstRow + rows);
        for (var r = 0; r < rows; r++)
        {
            rowClasses[r] = classes.ClassOf(targets[r]);
        }

        var logits = Scratch.Ensure(ref _logits, rows * c); // [R, C] in the caller's order
        ForwardLogits(hidden[..(rows * dh)], _p.ClassOutput, logits, rows, c, 1, inference: true);
        for (var r = 0; Direct && r < rows; r++)
        {
            AddRuns(ClassStarts(firstRow + r), logits.AsSpan(r * c, c));
        }

        SoftmaxRows(logits, _p.ClassBias, rowClasses, classLogProbs, c, gradient: false);
    }

    /// <summary>
    /// The word part of a class layer's scoring: logProbs[r] = log P(targets[r] | its class, h_r, contexts[r]) +
    /// classLogProbs[r] for the first <paramref name="rows"/> rows of <paramref name="hidden"/> ([R, Dh]), where
    /// <paramref name="classLogProbs"/> ([R]) is what <see cref="ScoreClasses"/> gave for the same rows, in calls that covered
    /// rows [0, <paramref name="rows"/>) since the last ScoreWords: their classes and features are those it kept.
    /// </summary>
    /// <exception cref="ArgumentException">A buffer is too small for the rows.</exception>
    /// <exception cref="InvalidOperationException">The layer is a full softmax.</exception>
    public void ScoreWords(T[] hidden, int[] targets, int rows, ReadOnlySpan<T> classLogProbs, Span<T> logProbs)
    {
        var (classes, dh) = (ClassesOrThrow(), _p.Shape.Hidden);
        if (hidden.Length < rows * dh || targets.Length < rows || classLogProbs.Length < rows || logProbs.Length < rows)
        {
            throw new ArgumentException("Word scoring buffers are too small for the rows.");
        }

        if (rows > _keptRows)
        {
            throw new InvalidOperationException("ScoreClasses has not kept the classes of all the rows.");
        }

        _keptRows = 0;
        CountIntoClasses(classes, rows);
        Scratch.Ensure(ref _wordLogProbs, rows);
        GroupByClass(rows);
        var scratch = RentScratch();
        for (var g = 0; g < _groups.Count; g++)
        {
            ScoreGroup(classes, hidden, targets, g, scratch);
        }

        ReturnScratch(scratch);
        for (var i = 0; i < rows; i++)
        {
            var row = _order[i];
            logProbs[row] = _wordLogProbs[i] + classLogProbs[row];
        }
    }

    // Run's scoring of a class layer: both parts over the same rows (ScoreClasses places their features).
    private void ScoreRows(T[] hidden, int[] targets, int[] contexts, int rows, Span<T> logProbs)
    {
        var classLogProbs = Scratch.Ensure(ref _classLogProbs, rows).AsSpan(0, rows);
        ScoreClasses(hidden, targets.AsSpan(0, rows), contexts, classLogProbs);
        ScoreWords(hidden, targets, rows, classLogProbs, logProbs);
    }

    // A counting sort of the rows by their target's class (as ScoreClasses kept them): _classTargets and _order as
    // SortByClass leaves them, but for the order of the rows within a class, which scoring does not depend on.
    private void CountIntoClasses(ClassMap classes, int rows)
    {
        var (c, rowClasses) = (classes.ClassCount, _rowClasses);
        var classTargets = Scratch.Ensure(ref _classTargets, rows);
        var order = Scratch.Ensure(ref _order, rows);
        var next = Scratch.Ensure(ref _classFill, c + 1).AsSpan(0, c + 1);
        next.Clear();
        for (var r = 0; r < rows; r++)
        {
            next[rowClasses[r] + 1]++;
        }

        for (var cls = 0; cls < c; cls++)
        {
            var (start, end) = (next[cls], next[cls] + next[cls + 1]);
            classTargets.AsSpan(start, end - start).Fill(cls);
            next[cls + 1] = end;
        }

        for (var r = 0; r < rows; r++)
        {
            order[next[rowClasses[r]]++] = r;
        }
    }

    // log P(w | c(w), h) for the rows of group g, in class order; the class's rows of U and the rows of the hidden states
    // both read in place.
    private void ScoreGroup(ClassMap classes, T[] hidden, int[] targets, int g, GroupScratch scratch)
    {
        var dh = _p.Shape.Hidden;
        var (start, end) = _groups[g];
        var cls = _classTargets[start];
        var (count, first, size) = (end - start, classes.Start(cls), classes.Size(cls));
        var groupTargets = scratch.Targets(count);
        for (var i = 0; i < count; i++)
        {
            groupTargets[i] = targets[_order[start + i]] - first;
        }

        for (var i = 0; Direct && i < count; i++)
        {
            // The rows' runs of D, asked for while the products run.
            DirectFeatures.Prefetch<T>(_p.Direct, WordStarts(_order[start + i]), size);
        }

        var wordLogits = scratch.Logits(count * size); // [count, size]
        RowProducts.Dots(MemoryMarshal.Cast<T, float>(hidden.AsSpan()), _order.AsSpan(start, count), MemoryMarshal.Cast<T, float>(_p.Output.AsSpan(first * dh, size * dh)),
                         size, dh, MemoryMarshal.Cast<T, float>(wordLogits));
        AddGroupWeights(wordLogits, start, count, size);
        SoftmaxRows(wordLogits, _p.OutputBias.AsSpan(first, size), groupTargets.AsSpan(0, count), _wordLogProbs.AsSpan(start, count), size, gradient: false);
    }
}
