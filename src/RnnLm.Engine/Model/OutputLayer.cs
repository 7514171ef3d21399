using System.Numerics;
using System.Runtime.InteropServices;
using RnnLm.Engine.Numerics;

namespace RnnLm.Engine.Model;

/// <summary>
/// Where the output layer adds its gradients: <c>target += Scale · gradient</c>, after which the output weight
/// matrices that received a gradient are multiplied by <see cref="Keep"/>.
/// </summary>
/// <remarks>
/// A gradient check points the targets at a gradient buffer with scale 1; training points them at the
/// weights themselves with scale −learning rate, which saves a pass over the |V|×Dh output matrix.
/// Either way the hidden-state gradient is computed from the weights before they change.
/// Keep is 1 − L2 decay; with class outputs only the word rows of the classes in the block shrink (with a tree, the nodes on
/// the block's paths, once each), in the same pass that updates them. It is 1 (no shrinking) unless set. The direct connections decay as rnnlm's do, by
/// <see cref="DirectDecay"/> times the weight at every use of an entry; it is 0 unless set.
/// </remarks>
internal sealed class OutputSink<T>(Parameters<T> target, T scale)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public Parameters<T> Target { get; } = target;

    public T Scale { get; set; } = scale;

    public T Keep { get; set; } = T.One;

    /// <summary>The L2 decay of a direct connection's weight at each use: learning rate × beta in training.</summary>
    public T DirectDecay { get; set; } = T.Zero;
}

/// <summary>
/// The output layer over many hidden states at once: log-probabilities of the targets and, when training,
/// the gradients. Rows are independent, so a batch of R rows turns R matrix-vector products into one
/// matrix-matrix product, which is what makes the full softmax affordable. Without a sink (inference), a row's
/// log-probability has the same bits whatever rows share the call, so one token at a time gives a sentence's scores.
/// </summary>
/// <remarks>
/// With direct connections (<see cref="DirectFeatures"/>) each row comes with its context, and the features' weights join
/// the logits before each softmax; OutputLayer.Direct holds that part.
/// </remarks>
internal sealed partial class OutputLayer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Parameters<T> _p;
    private readonly ClassMap? _classes;
    private readonly WordTree? _tree;
    private readonly WorkTeam _team;
    private T[] _logits = []; // [R, |V|] (full) or [R, C] (classes), or [3, |V| − 1] a tree's distribution
    private readonly Stack<GroupScratch> _scratch = new();
    private T[] _wordLogProbs = []; // [R]
    private T[] _classLogProbs = []; // [R]
    private int[] _classTargets = []; // [R]
    private int[] _order = []; // [R] rows sorted by target class
    private readonly List<(int Start, int End)> _groups = []; // rows [Start, End) of the sorted order share a class
    private T[] _sortedHidden = []; // [R, Dh] hidden rows in class order
    private T[] _sortedGradient = []; // [R, Dh] their gradient from the class part
    private T[] _wordGradient = []; // [R, Dh] and from the word part
    private int[] _items = []; // work items for the threads: −1 for the class part, else a group
    private long[] _costs = []; // their negated costs, to sort the costliest first
    private int[] _claimed = []; // 1 once a member has taken the item
    private int[]? _owners; // [C] the member that takes a class's group first

    public OutputLayer(Parameters<T> parameters, ClassMap? classes, WorkTeam team, WordTree? tree = null)
    {
        _p = parameters;
        _classes = classes;
        _tree = tree;
        _team = team;
        if ((parameters.Shape.Output == OutputKind.Classes) != (classes is not null))
        {
            throw new ArgumentException("A class map goes with a class-factorized output layer, and only with it.");
        }

        if ((parameters.Shape.Output == OutputKind.Tree) != (tree is not null) || (tree is not null && tree.VocabularySize != parameters.Shape.VocabularySize))
        {
            throw new ArgumentException("A word tree over the vocabulary goes with a tree output layer, and only with it.");
        }
    }

    /// <summary>
    /// For each row r of <paramref name="hidden"/> ([R, Dh]) writes log P(targets[r] | h_r, contexts[r]) into
    /// <paramref name="logProbs"/>. With a <paramref name="sink"/>, also adds the output weights' gradient of
    /// Σ −log P to it and writes the gradient with respect to each hidden row into <paramref name="hiddenGrad"/> ([R, Dh]).
    /// <paramref name="contexts"/> ([R, N − 1], see <see cref="DirectFeatures.Context"/>) is needed with direct connections only.
    /// </summary>
    public void Run(T[] hidden, int[] targets, int[]? contexts, int rows, Span<T> logProbs, OutputSink<T>? sink, T[]? hiddenGrad)
    {
        var dh = _p.Shape.Hidden;
        if (hidden.Length < rows * dh || targets.Length < rows || logProbs.Length < rows || (sink is not null && (hiddenGrad is null || hiddenGrad.Length < rows * dh))
            || (Direct && (contexts is null || contexts.Length < rows * ContextWidth)))
        {
            throw new ArgumentException("Output buffers are too small for the rows.");
        }

        if (rows == 0)
        {
            return;
        }

        var scoring = _classes is not null && sink is null && typeof(T) == typeof(float);
        if (Direct && !scoring)
        {
            PlaceFeatures(contexts!, targets, rows);
        }

        if (_tree is not null)
        {
            RunTree(_tree, hidden, targets, rows, logProbs, sink, hiddenGrad);
        }
        else if (_classes is null)
        {
            RunFull(hidden.AsSpan(0, rows * dh), targets.AsSpan(0, rows), logProbs, sink, hiddenGrad);
        }
        else if (scoring)
        {
            ScoreRows(hidden, targets, contexts ?? [], rows, logProbs);
        }
        else
        {
            RunClasses(_classes, hidden, targets, rows, logProbs, sink, hiddenGrad);
        }
    }

    private void RunFull(ReadOnlySpan<T> hidden, ReadOnlySpan<int> targets, Span<T> logProbs, OutputSink<T>? sink, Span<T> hiddenGrad)
    {
        var (rows, v, dh) = (targets.Length, _p.Shape.VocabularySize, _p.Shape.Hidden);
        var logits = Scratch.Ensure(ref _logits, rows * v);
        ForwardLogits(hidden, _p.Output, logits, rows, v, _team.Size, sink is null);
        if (_team.Size > 1 && rows > 1)
        {
            // Rows are independent: halves of them on separate threads give the same bits as one thread.
            var results = Scratch.Ensure(ref _wordLogProbs, rows);
            var targetArray = Scratch.Ensure(ref _classTargets, rows); // the class path's buffer, free on this path
            targets.CopyTo(targetArray);
            var (logitArray, gradient) = (logits, sink is not null);
            _team.Run(part =>
            {
                var (from, to) = WorkTeam.Split(rows, _team.Size, part);
                AddFullWeights(logitArray, from, to);
                SoftmaxRows(logitArray.AsSpan(from * v, (to - from) * v), _p.OutputBias, targetArray.AsSpan(from, to - from), results.AsSpan(from, to - from), v, gradient);
            });
            results.AsSpan(0, rows).CopyTo(logProbs);
        }
        else
        {
            AddFullWeights(logits, 0, rows);
            SoftmaxRows(logits, _p.OutputBias, targets, logProbs, v, sink is not null);
        }
        if (sink is null)
        {
            return;
        }

        // dJ/dh = (yhat − y) U, from the weights before they are updated below.
        Gemm.Multiply<T>(logits, v, false, _p.Output, dh, false, hiddenGrad, dh, rows, dh, v, false, _team.Size);
        ScaleRows(logits, rows * v, sink.Scale);
        Gemm.Multiply<T>(logits, v, true, hidden, dh, false, sink.Target.Output, dh, v, dh, rows, true, _team.Size);
        AddColumnSums(logits.AsSpan(0, rows * v), rows, sink.Target.OutputBias);
        Shrink(sink.Target.Output, sink.Keep);
        if (Direct)
        {
            UpdateDirect(sink, rows);
        }
    }

    private void RunClasses(ClassMap classes, T[] hidden, int[] targets, int rows, Span<T> logProbs, OutputSink<T>? sink, T[]? hiddenGrad)
    {
        var dh = _p.Shape.Hidden;
        SortByClass(classes, hidden, targets, rows);
        if (sink is not null)
        {
            Scratch.Ensure(ref _sortedGradient, rows * dh);
            Scratch.Ensure(ref _wordGradient, rows * dh);
        }

        Scratch.Ensure(ref _classLogProbs, rows);
        Scratch.Ensure(ref _wordLogProbs, rows);
        GroupByClass(rows);
        var call = new ClassCall(classes, targets, rows, sink);
        if (sink is not null && Direct)
        {
            KeepGroupErrors(classes);
        }

        if (_team.Size > 1 && _groups.Count > 1)
        {
            RunShared(call);
        }
        else
        {
            RunClassPart(call, _team.Size);
            var scratch = RentScratch();
            for (var g = 0; g < _groups.Count; g++)
            {
                RunGroup(call, g, scratch);
            }

            ReturnScratch(scratch);
        }

        if (sink is not null && Direct)
        {
            UpdateDirect(sink, rows);
        }

        ToCallerOrder(rows, logProbs, sink is null ? null : hiddenGrad);
    }

    // Rows that share a class share one product, so they are sorted by class, and the hidden rows copied in that
    // order: a class's rows are then contiguous for the word part. Both parts work in this order.
    private void SortByClass(ClassMap classes, T[] hidden, int[] targets, int rows)
    {
        var dh = _p.Shape.Hidden;
        var classTargets = Scratch.Ensure(ref _classTargets, rows);
        var order = Scratch.Ensure(ref _order, rows);
        for (var r = 0; r < rows; r++)
        {
            classTargets[r] = classes.ClassOf(targets[r]);
            order[r] = r;
        }

        Array.Sort(classTargets, order, 0, rows);
        var sortedHidden = Scratch.Ensure(ref _sortedHidden, rows * dh);
        for (var i = 0; i < rows; i++)
        {
            hidden.AsSpan(order[i] * dh, dh).CopyTo(sortedHidden.AsSpan(i * dh, dh));
        }
    }

    // The runs of sorted rows that share a class.
    private void GroupByClass(int rows)
    {
        _groups.Clear();
        for (var start = 0; start < rows;)
        {
            var end = start;
            while (end < rows && _classTargets[end] == _classTargets[start])
            {
                end++;
            }

            _groups.Add((start, end));
            start = end;
        }
    }

    // Class part: P(c | h) over C classes, all rows at once. It runs as one more work item beside the word groups,
    // with its own half of the hidden gradient, so that a thread that is free can take it.
    private void RunClassPart(ClassCall call, int threads)
    {
        var (rows, c, dh, sink) = (call.Rows, call.Classes.ClassCount, _p.Shape.Hidden, call.Sink);
        var sortedHidden = _sortedHidden.AsSpan(0, rows * dh);
        var logits = Scratch.Ensure(ref _logits, rows * c); // [R, C] in sorted order
        ForwardLogits(sortedHidden, _p.ClassOutput, logits, rows, c, threads, sink is null);
        AddSortedClassWeights(logits, rows, c);
        SoftmaxRows(logits, _p.ClassBias, _classTargets.AsSpan(0, rows), _classLogProbs, c, sink is not null);
        if (sink is not null)
        {
            Gemm.Multiply<T>(logits, c, false, _p.ClassOutput, dh, false, _sortedGradient, dh, rows, dh, c, false, threads);
            ScaleRows(logits, rows * c, sink.Scale);
            Gemm.Multiply<T>(logits, c, true, sortedHidden, dh, false, sink.Target.ClassOutput, dh, c, dh, rows, true, threads);
            AddColumnSums(logits.AsSpan(0, rows * c), rows, sink.Target.ClassBias);
            Shrink(sink.Target.ClassOutput, sink.Keep);
        }
    }

    // Word part of group g: P(w | c(w), h) within the group's class. Classes own disjoint rows of U and of the hidden
    // gradient, so they can run on several threads and give the same bits whatever the split.
    private void RunGroup(ClassCall call, int g, GroupScratch scratch)
    {
        var (classes, sink, dh) = (call.Classes, call.Sink, _p.Shape.Hidden);
        var (start, end) = _groups[g];
        var cls = _classTargets[start];
        var (count, first, size) = (end - start, classes.Start(cls), classes.Size(cls));
        var groupTargets = scratch.Targets(count);
        for (var i = 0; i < count; i++)
        {
            groupTargets[i] = call.Targets[_order[start + i]] - first;
        }

        // U's rows of the class, read in place: few hidden rows meet many word rows, too few to repay packing.
        var rowsOfClass = _sortedHidden.AsSpan(start * dh, count * dh); // [count, Dh]
        var weights = _p.Output.AsSpan(first * dh, size * dh); // [size, Dh]
        var wordLogits = sink is not null && Direct ? GroupErrors(g, count * size) : scratch.Logits(count * size); // [count, size]
        RowProducts.Dots<T>(rowsOfClass, count, weights, size, dh, wordLogits);

        AddGroupWeights(wordLogits, start, count, size);
        SoftmaxRows(wordLogits, _p.OutputBias.AsSpan(first, size), groupTargets.AsSpan(0, count), _wordLogProbs.AsSpan(start, count), size, sink is not null);
        if (sink is null)
        {
            return;
        }

        // dJ/dh from the weights before they change, and the update, while the class's rows are in this core's
        // cache. When the sink is the weights themselves, one pass over the rows does both.
        var hiddenRows = _wordGradient.AsSpan(start * dh, count * dh);
        var target = sink.Target.Output.AsSpan(first * dh, size * dh);
        if (sink.Target.Output == _p.Output)
        {
            RowProducts.CombineAndAddOuter<T>(wordLogits, count, rowsOfClass, target, size, dh, hiddenRows, sink.Scale, sink.Keep);
        }
        else
        {
            RowProducts.Combine<T>(wordLogits, count, weights, size, dh, hiddenRows);
            ScaleRows(wordLogits, sink.Scale);
            RowProducts.AddOuter<T>(wordLogits, rowsOfClass, count, target, size, dh, sink.Keep);
        }

        AddColumnSums(wordLogits, count, sink.Target.OutputBias.AsSpan(first, size));
    }

    // Work items, the costliest first: the class part (item −1), then the groups by the size of their product. Each
    // member first takes the items it owns, so that a class's rows of U stay in one core's cache from block to
    // block, then helps with whatever is left, the cheapest first, so that the members finish together.
    private void RunShared(ClassCall call)
    {
        var (classes, count) = (call.Classes, _groups.Count + 1);
        Owners(classes);
        var items = Scratch.Ensure(ref _items, count);
        var costs = Scratch.Ensure(ref _costs, count);
        items[0] = -1;
        costs[0] = -(long)call.Rows * classes.ClassCount;
        for (var g = 0; g < _groups.Count; g++)
        {
            var (start, end) = _groups[g];
            items[g + 1] = g;
            costs[g + 1] = -(long)(end - start) * classes.Size(_classTargets[start]);
        }

        Array.Sort(costs, items, 0, count);
        Array.Clear(Scratch.Ensure(ref _claimed, count), 0, count);
        _team.Run(member => TakeItems(call, member));
    }

    private void TakeItems(ClassCall call, int member)
    {
        var scratch = RentScratch();
        for (var i = 0; i <= _groups.Count; i++)
        {
            if ((_items[i] < 0 ? 0 : _owners![_classTargets[_groups[_items[i]].Start]]) == member)
            {
                Take(call, i, scratch);
            }
        }

        for (var i = _groups.Count; i >= 0; i--)
        {
            Take(call, i, scratch);
        }

        ReturnScratch(scratch);
    }

    private void Take(ClassCall call, int i, GroupScratch scratch)
    {
        if (Interlocked.Exchange(ref _claimed[i], 1) != 0)
        {
            return;
        }

        if (_items[i] < 0)
        {
            RunClassPart(call, 1);
        }
        else
        {
            RunGroup(call, _items[i], scratch);
        }
    }

    // Back from class order to the callers' rows: log P(c | h) + log P(w | c, h), and both parts' gradients.
    private void ToCallerOrder(int rows, Span<T> logProbs, T[]? hiddenGrad)
    {
        var dh = _p.Shape.Hidden;
        for (var i = 0; i < rows; i++)
        {
            _wordLogProbs[i] += _classLogProbs[i];
        }

        for (var i = 0; i < rows; i++)
        {
            logProbs[_order[i]] = _wordLogProbs[i];
        }

        if (hiddenGrad is not null)
        {
            for (var i = 0; i < rows; i++)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(_sortedGradient.AsSpan(i * dh, dh), _wordGradient.AsSpan(i * dh, dh), hiddenGrad.AsSpan(_order[i] * dh, dh));
            }
        }
    }

    /// <summary>What one call of <see cref="RunClasses"/> works on, for the work items on the team's threads.</summary>
    private readonly record struct ClassCall(ClassMap Classes, int[] Targets, int Rows, OutputSink<T>? Sink);

    // Classes dealt to the members by expected work, largest first to the least loaded: a class is hit about
    // rows/C times a block (the classes hold similar shares of the text) at a cost of its size each, and the
    // class part, rows·C, belongs to member 0.
    private int[] Owners(ClassMap classes)
    {
        if (_owners is not null)
        {
            return _owners;
        }

        var c = classes.ClassCount;
        var owners = new int[c];
        var load = new long[_team.Size];
        load[0] = (long)c * c;
        var bySize = Enumerable.Range(0, c).OrderByDescending(classes.Size).ThenBy(cls => cls);
        foreach (var cls in bySize)
        {
            var member = Array.IndexOf(load, load.Min());
            owners[cls] = member;
            load[member] += classes.Size(cls);
        }

        return _owners = owners;
    }

    private GroupScratch RentScratch()
    {
        lock (_scratch)
        {
            return _scratch.Count > 0 ? _scratch.Pop() : new GroupScratch();
        }
    }

    private void ReturnScratch(GroupScratch scratch)
    {
        lock (_scratch)
        {
            _scratch.Push(scratch);
        }
    }

    /// <summary>Per-thread buffers for one class group.</summary>
    private sealed class GroupScratch
    {
        private T[] _logits = []; // [count, class size]
        private int[] _targets = []; // [count] targets relative to the class start

        public Span<T> Logits(int length) => Scratch.Ensure(ref _logits, length).AsSpan(0, length);

        public int[] Targets(int length) => Scratch.Ensure(ref _targets, length);
    }

    // logits [rows, n] = hidden [rows, Dh] · weightsᵀ ([n, Dh]). Inference takes the product whose rows do not depend on the
    // rows beside them (a stream scores one row a call, /score a sentence's rows at once); training keeps the plain
    // product, so that its results stay what they were.
    private void ForwardLogits(ReadOnlySpan<T> hidden, T[] weights, Span<T> logits, int rows, int n, int threads, bool inference)
    {
        var dh = _p.Shape.Hidden;
        if (inference)
        {
            Gemm.MultiplyRowStable<T>(hidden, dh, weights, dh, true, logits, n, rows, n, dh, false, threads);
        }
        else
        {
            Gemm.Multiply<T>(hidden, dh, false, weights, dh, true, logits, n, rows, n, dh, false, threads);
        }
    }

    // Adds the bias to each row of logits, writes log P(target) per row, and (for gradients) leaves yhat − y in place.
    private static void SoftmaxRows(Span<T> logits, ReadOnlySpan<T> bias, ReadOnlySpan<int> targets, Span<T> logProbs, int width, bool gradient)
    {
        if (!gradient && typeof(T) == typeof(float))
        {
            // Scoring needs the target's log-probability only: the logits stay as they are, bias and all.
            TargetLogProbs.Compute(MemoryMarshal.Cast<T, float>(logits[..(targets.Length * width)]), MemoryMarshal.Cast<T, float>(bias),
                                   targets, MemoryMarshal.Cast<T, float>(logProbs));
            return;
        }

        for (var r = 0; r < targets.Length; r++)
        {
            var row = logits.Slice(r * width, width);
            System.Numerics.Tensors.TensorPrimitives.Add(row, bias, row);

            var target = targets[r];
            var targetLogit = row[target];
            if (gradient)
            {
                var logSum = Softmax.Compute<T>(row, row);
                logProbs[r] = targetLogit - logSum;
                row[target] -= T.One;
            }
            else
            {
                logProbs[r] = targetLogit - LogSumExp(row);
            }
        }
    }

    private static T LogSumExp(ReadOnlySpan<T> row)
    {
        if (typeof(T) == typeof(float))
        {
            var result = Softmax.LogSumExp(MemoryMarshal.Cast<T, float>(row));
            return System.Runtime.CompilerServices.Unsafe.As<float, T>(ref result);
        }

        var max = T.NegativeInfinity;
        foreach (var x in row)
        {
            max = T.Max(max, x);
        }

        var sum = T.Zero;
        foreach (var x in row)
        {
            sum += T.Exp(x - max);
        }

        return max + T.Log(sum);
    }

    private static void ScaleRows(T[] values, int length, T scale) => ScaleRows(values.AsSpan(0, length), scale);

    private static void ScaleRows(Span<T> values, T scale)
    {
        if (scale != T.One)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(values, scale, values);
        }
    }

    private static void Shrink(Span<T> weights, T keep)
    {
        if (keep != T.One)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(weights, keep, weights);
        }
    }

    private static void AddColumnSums(ReadOnlySpan<T> matrix, int rows, Span<T> destination)
    {
        var width = destination.Length;
        for (var r = 0; r < rows; r++)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(destination, matrix.Slice(r * width, width), destination);
        }
    }
}
