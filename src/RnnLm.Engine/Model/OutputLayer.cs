using System.Numerics;
using RnnLm.Engine.Numerics;

namespace RnnLm.Engine.Model;

/// <summary>Where the output layer adds its gradients: <c>target += Scale · gradient</c>.</summary>
/// <remarks>
/// A gradient check points the targets at a gradient buffer with scale 1; training points them at the
/// weights themselves with scale −learning rate, which saves a pass over the |V|×Dh output matrix.
/// Either way the hidden-state gradient is computed from the weights before they change.
/// </remarks>
internal sealed class OutputSink<T>(Parameters<T> target, T scale)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public Parameters<T> Target { get; } = target;

    public T Scale { get; set; } = scale;

    /// <summary>Classes whose word rows received a gradient since the caller last cleared this set (class outputs only).</summary>
    public HashSet<int> TouchedClasses { get; } = [];
}

/// <summary>
/// The output layer over many hidden states at once: log-probabilities of the targets and, when training,
/// the gradients. Rows are independent, so a batch of R rows turns R matrix-vector products into one
/// matrix-matrix product, which is what makes the full softmax affordable.
/// </summary>
internal sealed class OutputLayer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Parameters<T> _p;
    private readonly ClassMap? _classes;
    private readonly int _threads;
    private T[] _logits = []; // [R, |V|] (full) or [R, C] (classes)
    private readonly Stack<GroupScratch> _scratch = new();
    private T[] _wordLogProbs = []; // [R]
    private int[] _classTargets = []; // [R]
    private int[] _order = []; // [R] rows sorted by target class

    public OutputLayer(Parameters<T> parameters, ClassMap? classes, int threads)
    {
        _p = parameters;
        _classes = classes;
        _threads = Math.Max(1, threads);
        if ((parameters.Shape.Output == OutputKind.Classes) != (classes is not null))
        {
            throw new ArgumentException("A class map goes with a class-factorized output layer, and only with it.");
        }
    }

    /// <summary>
    /// For each row r of <paramref name="hidden"/> ([R, Dh]) writes log P(targets[r] | h_r) into
    /// <paramref name="logProbs"/>. With a <paramref name="sink"/>, also adds the output weights' gradient of
    /// Σ −log P to it and writes the gradient with respect to each hidden row into <paramref name="hiddenGrad"/> ([R, Dh]).
    /// </summary>
    public void Run(T[] hidden, int[] targets, int rows, Span<T> logProbs, OutputSink<T>? sink, T[]? hiddenGrad)
    {
        var dh = _p.Shape.Hidden;
        if (hidden.Length < rows * dh || targets.Length < rows || logProbs.Length < rows || (sink is not null && (hiddenGrad is null || hiddenGrad.Length < rows * dh)))
        {
            throw new ArgumentException("Output buffers are too small for the rows.");
        }

        if (rows == 0)
        {
            return;
        }

        if (_classes is null)
        {
            RunFull(hidden.AsSpan(0, rows * dh), targets.AsSpan(0, rows), logProbs, sink, hiddenGrad);
        }
        else
        {
            RunClasses(_classes, hidden, targets, rows, logProbs, sink, hiddenGrad);
        }
    }

    /// <summary>Writes P(w | h) for every word w into <paramref name="probabilities"/> ([|V|]) for one hidden state ([Dh]).</summary>
    public void Distribution(ReadOnlySpan<T> hidden, Span<T> probabilities)
    {
        var (v, dh) = (_p.Shape.VocabularySize, _p.Shape.Hidden);
        if (hidden.Length != dh || probabilities.Length != v)
        {
            throw new ArgumentException("Distribution needs one hidden state and a |V|-wide destination.");
        }

        Gemm.Multiply<T>(hidden, dh, false, _p.Output, dh, true, probabilities, v, 1, v, dh, false, 1);
        System.Numerics.Tensors.TensorPrimitives.Add(probabilities, _p.OutputBias, probabilities);
        if (_classes is null)
        {
            Softmax.Compute<T>(probabilities, probabilities);
            return;
        }

        var c = _classes.ClassCount;
        var classProbabilities = Ensure(ref _logits, c).AsSpan(0, c);
        Gemm.Multiply<T>(hidden, dh, false, _p.ClassOutput, dh, true, classProbabilities, c, 1, c, dh, false, 1);
        System.Numerics.Tensors.TensorPrimitives.Add(classProbabilities, _p.ClassBias, classProbabilities);
        Softmax.Compute<T>(classProbabilities, classProbabilities);
        for (var cls = 0; cls < c; cls++)
        {
            var words = probabilities.Slice(_classes.Start(cls), _classes.Size(cls));
            Softmax.Compute<T>(words, words);
            System.Numerics.Tensors.TensorPrimitives.Multiply(words, classProbabilities[cls], words);
        }
    }

    private void RunFull(ReadOnlySpan<T> hidden, ReadOnlySpan<int> targets, Span<T> logProbs, OutputSink<T>? sink, Span<T> hiddenGrad)
    {
        var (rows, v, dh) = (targets.Length, _p.Shape.VocabularySize, _p.Shape.Hidden);
        var logits = Ensure(ref _logits, rows * v);
        Gemm.Multiply<T>(hidden, dh, false, _p.Output, dh, true, logits, v, rows, v, dh, false, _threads);
        if (_threads > 1 && rows > 1)
        {
            // Rows are independent: halves of them on separate threads give the same bits as one thread.
            var results = Ensure(ref _wordLogProbs, rows);
            var targetArray = Ensure(ref _classTargets, rows); // the class path's buffer, free on this path
            targets.CopyTo(targetArray);
            var (logitArray, gradient) = (logits, sink is not null);
            Parallel.For(0, _threads, new ParallelOptions { MaxDegreeOfParallelism = _threads }, part =>
            {
                var (from, to) = ((int)((long)rows * part / _threads), (int)((long)rows * (part + 1) / _threads));
                SoftmaxRows(logitArray.AsSpan(from * v, (to - from) * v), _p.OutputBias, targetArray.AsSpan(from, to - from), results.AsSpan(from, to - from), v, gradient);
            });
            results.AsSpan(0, rows).CopyTo(logProbs);
        }
        else
        {
            SoftmaxRows(logits, _p.OutputBias, targets, logProbs, v, sink is not null);
        }
        if (sink is null)
        {
            return;
        }

        // dJ/dh = (yhat − y) U, from the weights before they are updated below.
        Gemm.Multiply<T>(logits, v, false, _p.Output, dh, false, hiddenGrad, dh, rows, dh, v, false, _threads);
        ScaleRows(logits, rows * v, sink.Scale);
        Gemm.Multiply<T>(logits, v, true, hidden, dh, false, sink.Target.Output, dh, v, dh, rows, true, _threads);
        AddColumnSums(logits.AsSpan(0, rows * v), rows, sink.Target.OutputBias);
    }

    private void RunClasses(ClassMap classes, T[] hidden, int[] targets, int rows, Span<T> logProbs, OutputSink<T>? sink, T[]? hiddenGrad)
    {
        var (c, dh) = (classes.ClassCount, _p.Shape.Hidden);
        var classTargets = Ensure(ref _classTargets, rows);
        for (var r = 0; r < rows; r++)
        {
            classTargets[r] = classes.ClassOf(targets[r]);
        }

        // Class part: P(c | h) over C classes, all rows at once.
        var logits = Ensure(ref _logits, rows * c);
        Gemm.Multiply<T>(hidden.AsSpan(0, rows * dh), dh, false, _p.ClassOutput, dh, true, logits, c, rows, c, dh, false, _threads);
        SoftmaxRows(logits, _p.ClassBias, classTargets.AsSpan(0, rows), logProbs, c, sink is not null);
        if (sink is not null)
        {
            Gemm.Multiply<T>(logits, c, false, _p.ClassOutput, dh, false, hiddenGrad, dh, rows, dh, c, false, _threads);
            ScaleRows(logits, rows * c, sink.Scale);
            Gemm.Multiply<T>(logits, c, true, hidden.AsSpan(0, rows * dh), dh, false, sink.Target.ClassOutput, dh, c, dh, rows, true, _threads);
            AddColumnSums(logits.AsSpan(0, rows * c), rows, sink.Target.ClassBias);
        }

        // Word part: P(w | c(w), h) within each target's class. Rows that share a class share one product;
        // classes own disjoint rows of U and of the hidden gradient, so they can run on several threads
        // and give the same bits whatever the split.
        var order = Ensure(ref _order, rows);
        for (var r = 0; r < rows; r++)
        {
            order[r] = r;
        }

        Array.Sort(classTargets, order, 0, rows);
        var groups = new List<(int Start, int End)>();
        for (var start = 0; start < rows;)
        {
            var end = start;
            while (end < rows && classTargets[end] == classTargets[start])
            {
                end++;
            }

            groups.Add((start, end));
            sink?.TouchedClasses.Add(classTargets[start]);
            start = end;
        }

        var wordLogProbs = Ensure(ref _wordLogProbs, rows); // [R] log P(w | class, h), in sorted order
        var gradArray = sink is null ? null : hiddenGrad;

        void RunGroup(int g, GroupScratch scratch)
        {
            var (start, end) = groups[g];
            var cls = classTargets[start];
            var (count, first, size) = (end - start, classes.Start(cls), classes.Size(cls));
            var gathered = scratch.Rows(count * dh);
            var groupTargets = scratch.Targets(count);
            for (var i = 0; i < count; i++)
            {
                hidden.AsSpan(order[start + i] * dh, dh).CopyTo(gathered.AsSpan(i * dh, dh));
                groupTargets[i] = targets[order[start + i]] - first;
            }

            var weights = _p.Output.AsSpan(first * dh, size * dh); // [size, Dh]
            var wordLogits = scratch.Logits(count * size); // [count, size]
            Gemm.Multiply<T>(gathered, dh, false, weights, dh, true, wordLogits, size, count, size, dh, false, 1);
            SoftmaxRows(wordLogits, _p.OutputBias.AsSpan(first, size), groupTargets.AsSpan(0, count), wordLogProbs.AsSpan(start, count), size, sink is not null);
            if (sink is null)
            {
                return;
            }

            var gatheredGrad = scratch.Gradient(count * dh);
            Gemm.Multiply<T>(wordLogits, size, false, weights, dh, false, gatheredGrad, dh, count, dh, size, false, 1);
            for (var i = 0; i < count; i++)
            {
                var to = gradArray.AsSpan(order[start + i] * dh, dh);
                System.Numerics.Tensors.TensorPrimitives.Add(to, gatheredGrad.AsSpan(i * dh, dh), to);
            }

            ScaleRows(wordLogits, count * size, sink.Scale);
            Gemm.Multiply<T>(wordLogits, size, true, gathered, dh, false, sink.Target.Output.AsSpan(first * dh, size * dh), dh, size, dh, count, true, 1);
            AddColumnSums(wordLogits.AsSpan(0, count * size), count, sink.Target.OutputBias.AsSpan(first, size));
        }

        if (_threads > 1 && groups.Count > 1)
        {
            Parallel.For(0, groups.Count, new ParallelOptions { MaxDegreeOfParallelism = _threads }, () => RentScratch(), (g, _, scratch) =>
            {
                RunGroup(g, scratch);
                return scratch;
            }, ReturnScratch);
        }
        else
        {
            var scratch = RentScratch();
            for (var g = 0; g < groups.Count; g++)
            {
                RunGroup(g, scratch);
            }

            ReturnScratch(scratch);
        }

        for (var i = 0; i < rows; i++)
        {
            logProbs[order[i]] += wordLogProbs[i];
        }
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
        private T[] _rows = []; // [count, Dh] hidden rows of one class, gathered
        private T[] _gradient = []; // [count, Dh] their gradient
        private T[] _logits = []; // [count, class size]
        private int[] _targets = []; // [count] targets relative to the class start

        public T[] Rows(int length) => Ensure(ref _rows, length);

        public T[] Gradient(int length) => Ensure(ref _gradient, length);

        public T[] Logits(int length) => Ensure(ref _logits, length);

        public int[] Targets(int length) => Ensure(ref _targets, length);
    }

    // Adds the bias to each row of logits, writes log P(target) per row, and (for gradients) leaves yhat − y in place.
    private static void SoftmaxRows(Span<T> logits, ReadOnlySpan<T> bias, ReadOnlySpan<int> targets, Span<T> logProbs, int width, bool gradient)
    {
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
            var result = Softmax.LogSumExp(System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(row));
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

    private static void ScaleRows(T[] values, int length, T scale)
    {
        if (scale != T.One)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(values.AsSpan(0, length), scale, values.AsSpan(0, length));
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

    private static T[] Ensure(ref T[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new T[length];
        }

        return buffer;
    }

    private static int[] Ensure(ref int[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new int[length];
        }

        return buffer;
    }
}
