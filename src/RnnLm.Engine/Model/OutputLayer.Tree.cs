using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using RnnLm.Engine.Numerics;

namespace RnnLm.Engine.Model;

// A tree output (hierarchical softmax): a row's log-probability is the sum over the inner nodes n on its target's path of
// log σ(s_n z_n), z_n = h·u_n + b_n, s_n = +1 where the path goes left and −1 where it goes right; about log2 |V| dot
// products a row instead of a softmax's |V| or a class layer's C + class size. With J = −log P, dJ/dz_n = σ(z_n) − [left],
// so dJ/dh = Σ (σ(z_n) − [left]) u_n and dJ/du_n = (σ(z_n) − [left]) h. Rows are independent going forward; the update of
// a node that many rows share runs after every row's forward pass and hidden gradient (from the weights before they
// change), in row order, each member of the team updating its own nodes, so the bits do not depend on the team's size.
internal sealed partial class OutputLayer<T>
{
    private int[] _pathStarts = []; // [R + 1] where each row's path starts in _nodeErrors
    private T[] _nodeErrors = []; // [Σ path lengths] σ(z_n) − [left] at each row's path nodes
    private int[] _shrunk = []; // [|V| − 1] the last update that shrank each node's weights
    private int _updates;
    private int[] _hotSlot = []; // [|V| − 1] a node's slot among the hot ones (near the root), or −1
    private int[] _hotNodes = []; // [hot] the node in each slot
    private WordTree? _hotTree; // the tree _hotSlot was made for
    private T[][] _hotSums = []; // [member][hot, Dh + 1] each hot node's summed step for the block: weights, then bias
    private bool[][] _hotUsed = []; // [member][hot]
    private TreeCall _treeCall;
    private Action<int>? _treeForward;
    private Action<int>? _treeUpdate;

    /// <summary>Terms left out of a tree's gradient, for the tests that prove each one matters; none in training.</summary>
    internal Training.GradientTerms Dropped { get; set; }

    private void RunTree(WordTree tree, T[] hidden, int[] targets, int rows, Span<T> logProbs, OutputSink<T>? sink, T[]? hiddenGrad)
    {
        var starts = Scratch.Ensure(ref _pathStarts, rows + 1);
        for (var r = 0; r < rows; r++)
        {
            starts[r + 1] = starts[r] + tree.Path(targets[r]).Length;
        }

        var results = Scratch.Ensure(ref _wordLogProbs, rows);
        _treeCall = new TreeCall(tree, hidden, targets, rows, sink, hiddenGrad, sink is null ? [] : Scratch.Ensure(ref _nodeErrors, starts[rows]));
        if (_team.Size > 1 && rows > 1)
        {
            _team.Run(_treeForward ??= part =>
            {
                var (from, to) = WorkTeam.Split(_treeCall.Rows, _team.Size, part);
                TreeRows(from, to);
            });
        }
        else
        {
            TreeRows(0, rows);
        }

        results.AsSpan(0, rows).CopyTo(logProbs);
        if (sink is not null)
        {
            _updates++;
            if (_shrunk.Length < _p.Shape.OutputRows)
            {
                _shrunk = new int[_p.Shape.OutputRows];
            }

            PrepareHotNodes(tree);
            if (_team.Size > 1)
            {
                _team.Run(_treeUpdate ??= member => UpdateNodes(member, _team.Size));
            }
            else
            {
                UpdateNodes(0, 1);
            }
        }

        _treeCall = default;
    }

    // Forward pass of rows [from, to) and, when training, each node's error and the hidden rows' gradient.
    private void TreeRows(int from, int to)
    {
        var call = _treeCall;
        var dh = _p.Shape.Hidden;
        Span<T> logits = stackalloc T[WordTree.MaxDepth];
        for (var r = from; r < to; r++)
        {
            var h = call.Hidden.AsSpan(r * dh, dh);
            var path = call.Tree.Path(call.Targets[r]);
            var branches = call.Tree.Branches(call.Targets[r]);
            var z = logits[..path.Length];
            PathLogits(h, path, z);
            if (call.Sink is null)
            {
                _wordLogProbs[r] = LogSigmoidSum(z, branches);
                continue;
            }

            var errors = call.Errors.AsSpan(_pathStarts[r], path.Length);
            TensorPrimitives.Sigmoid<T>(z, errors);
            _wordLogProbs[r] = LogSigmoidSum(z, branches);
            var gradient = call.HiddenGrad.AsSpan(r * dh, dh);
            for (var j = 0; j < path.Length; j++)
            {
                errors[j] -= branches[j] == 0 ? T.One : T.Zero;
            }

            if (typeof(T) == typeof(float) && !Dropped.HasFlag(Training.GradientTerms.TreeHidden))
            {
                // Written whole: the sum starts from zero.
                PathKernels.Combine(Floats(_p.Output), path, Floats(errors), MemoryMarshal.Cast<T, float>(gradient));
                continue;
            }

            gradient.Clear();
            if (Dropped.HasFlag(Training.GradientTerms.TreeHidden))
            {
                continue;
            }

            for (var j = 0; j < path.Length; j++)
            {
                TensorPrimitives.MultiplyAdd<T>(_p.Output.AsSpan(path[j] * dh, dh), errors[j], gradient, gradient);
            }
        }
    }

    // z_n = h·u_n + b_n for the nodes of one path.
    private void PathLogits(ReadOnlySpan<T> h, ReadOnlySpan<int> path, Span<T> z)
    {
        if (typeof(T) == typeof(float))
        {
            PathKernels.Logits(Floats(h), Floats(_p.Output), Floats(_p.OutputBias), path, MemoryMarshal.Cast<T, float>(z));
            return;
        }

        var dh = h.Length;
        for (var j = 0; j < path.Length; j++)
        {
            z[j] = TensorPrimitives.Dot(h, _p.Output.AsSpan(path[j] * dh, dh)) + _p.OutputBias[path[j]];
        }
    }

    // Σ log σ(s_j z_j), s_j = +1 for a left branch and −1 for a right one; log σ(x) = min(x, 0) − log(1 + e^−|x|), the last
    // term over the whole path at once. z is overwritten.
    private static T LogSigmoidSum(Span<T> z, ReadOnlySpan<byte> branches)
    {
        var sum = T.Zero;
        for (var j = 0; j < z.Length; j++)
        {
            var x = branches[j] == 0 ? z[j] : -z[j];
            sum += T.Min(x, T.Zero);
            z[j] = -T.Abs(x);
        }

        TensorPrimitives.Exp<T>(z, z);
        TensorPrimitives.LogP1<T>(z, z);
        return sum - TensorPrimitives.Sum<T>(z);
    }

    // The update of the nodes member owns (n mod members = member), rows in order: u_n += scale · error · h, b_n += scale ·
    // error, each node's weights first multiplied by Keep once an update.
    private void UpdateNodes(int member, int members)
    {
        var call = _treeCall;
        var (sink, dh) = (call.Sink!, _p.Shape.Hidden);
        var (weights, biases) = (sink.Target.Output, sink.Target.OutputBias);
        var (sums, used) = (_hotSums[member], _hotUsed[member]);
        used.AsSpan().Clear();
        for (var r = 0; r < call.Rows; r++)
        {
            var path = call.Tree.Path(call.Targets[r]);
            var h = call.Hidden.AsSpan(r * dh, dh);
            for (var j = 0; j < path.Length; j++)
            {
                var n = path[j];
                if (n % members != member)
                {
                    continue;
                }

                var step = sink.Scale * call.Errors[_pathStarts[r] + j];
                var slot = _hotSlot[n];
                if (slot >= 0)
                {
                    // Summed privately and written once after the block, in the same row order.
                    var sum = sums.AsSpan(slot * (dh + 1), dh + 1);
                    if (!used[slot])
                    {
                        used[slot] = true;
                        sum.Clear();
                    }

                    AddScaled(step, h, sum[..dh]);
                    sum[dh] += step;
                    continue;
                }

                var row = weights.AsSpan(n * dh, dh);
                ShrinkOnce(n, row, sink.Keep);
                AddScaled(step, h, row);
                biases[n] += step;
            }
        }

        for (var slot = 0; slot < used.Length; slot++)
        {
            if (used[slot])
            {
                var n = _hotNodes[slot];
                var row = weights.AsSpan(n * dh, dh);
                ShrinkOnce(n, row, sink.Keep);
                AddScaled(T.One, sums.AsSpan(slot * (dh + 1), dh), row);
                biases[n] += sums[(slot * (dh + 1)) + dh];
            }
        }
    }

    // y += x·row: one fused chain step an element for float, the library's multiply-add otherwise.
    private static void AddScaled(T x, ReadOnlySpan<T> row, Span<T> y)
    {
        if (typeof(T) == typeof(float))
        {
            PathKernels.AddScaled(float.CreateTruncating(x), Floats(row), MemoryMarshal.Cast<T, float>(y));
        }
        else
        {
            TensorPrimitives.MultiplyAdd<T>(row, x, y, y);
        }
    }

    private static ReadOnlySpan<float> Floats(ReadOnlySpan<T> values) => MemoryMarshal.Cast<T, float>(values);

    private void ShrinkOnce(int node, Span<T> row, T keep)
    {
        if (_shrunk[node] != _updates)
        {
            _shrunk[node] = _updates;
            Shrink(row, keep);
        }
    }

    // The nodes less than HotDepth below the root lie on most rows' paths: their steps are summed over the block and written
    // once, so that threads sharing the weights (Hogwild) do not pass those cache lines back and forth at every row. The
    // sum is taken in row order, the same whatever the team's size.
    private const int HotDepth = 6;

    private void PrepareHotNodes(WordTree tree)
    {
        var (members, dh) = (_team.Size, _p.Shape.Hidden);
        if (!ReferenceEquals(_hotTree, tree))
        {
            _hotSlot = new int[_p.Shape.OutputRows];
            Array.Fill(_hotSlot, -1);
            var nodes = new List<int>();
            for (var w = 0; w < tree.VocabularySize; w++)
            {
                var path = tree.Path(w);
                for (var j = 0; j < Math.Min(HotDepth, path.Length); j++)
                {
                    if (_hotSlot[path[j]] < 0)
                    {
                        _hotSlot[path[j]] = nodes.Count;
                        nodes.Add(path[j]);
                    }
                }
            }

            _hotNodes = [.. nodes];
            _hotTree = tree;
            _hotSums = [];
        }

        if (_hotSums.Length != members)
        {
            _hotSums = [.. Enumerable.Range(0, members).Select(_ => new T[_hotNodes.Length * (dh + 1)])];
            _hotUsed = [.. Enumerable.Range(0, members).Select(_ => new bool[_hotNodes.Length])];
        }
    }

    // Every node's P(left) and P(right), then the probabilities down from the root: P(child) = P(node) · P(branch).
    private void TreeDistribution(WordTree tree, ReadOnlySpan<T> hidden, Span<T> probabilities)
    {
        var (nodes, dh, v) = (_p.Shape.OutputRows, _p.Shape.Hidden, _p.Shape.VocabularySize);
        var buffer = Scratch.Ensure(ref _logits, 3 * nodes);
        var z = buffer.AsSpan(0, nodes); // h·u_n + b_n, then P(right)
        var left = buffer.AsSpan(nodes, nodes); // P(left)
        var reached = buffer.AsSpan(2 * nodes, nodes); // P(the path passes through n)
        Gemm.Multiply<T>(hidden, dh, false, _p.Output, dh, true, z, nodes, 1, nodes, dh, false, 1);
        TensorPrimitives.Add(z, _p.OutputBias, z);
        TensorPrimitives.Sigmoid<T>(z, left);
        TensorPrimitives.Negate<T>(z, z);
        TensorPrimitives.Sigmoid<T>(z, z); // P(right)
        reached[nodes - 1] = T.One;
        var children = tree.Children;
        for (var n = nodes - 1; n >= 0; n--)
        {
            var (l, r) = (children[2 * n], children[(2 * n) + 1]);
            var (pl, pr) = (reached[n] * left[n], reached[n] * z[n]);
            (l < v ? ref probabilities[l] : ref reached[l - v]) = pl;
            (r < v ? ref probabilities[r] : ref reached[r - v]) = pr;
        }
    }

    /// <summary>What one call of <see cref="RunTree"/> works on, for the team's threads.</summary>
    private readonly record struct TreeCall(WordTree Tree, T[] Hidden, int[] Targets, int Rows, OutputSink<T>? Sink, T[]? HiddenGrad, T[] Errors);
}
