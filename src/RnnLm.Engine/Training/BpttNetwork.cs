using System.Numerics;
using System.Numerics.Tensors;
using RnnLm.Engine.Model;
using RnnLm.Engine.Numerics;

namespace RnnLm.Engine.Training;

/// <summary>
/// Runs B sentence streams in lock-step through the network and back-propagates through time in blocks.
/// </summary>
/// <remarks>
/// Each stream reads whole sentences one after the other; the hidden state restarts at zero with each
/// sentence, whose first input is <c>&lt;s&gt;</c> and whose last target is <c>&lt;/s&gt;</c>.
/// Every <c>block</c> steps the block's output errors are propagated back through the block and
/// <c>bptt</c> steps before it (rnnlm's <c>-bptt</c> and <c>-bptt-block</c>): for a block of steps
/// [s, e) the gradient is exactly that of Σ_{t∈[s,e)} J(t) with h(s − bptt − 1) held constant.
/// With a block of 1 each J(t) is carried back exactly bptt steps.
/// <para>
/// With a team of several threads, each member takes a fixed slice of the streams forward and back through
/// time, the output layer shares its classes among them, and the weight gradients are split by rows. Rows,
/// columns and classes are computed with the same arithmetic whichever thread has them, so the bits do not
/// depend on the team's size.
/// </para>
/// </remarks>
internal sealed class BpttNetwork<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    // Fewer streams than this per member make the per-step products too small to repay the hand-over
    // (measured on Brown: 8 streams split over 2 members trained at 150k words/s, kept on one at 230k).
    private const int MinSliceStreams = 8;

    private readonly Parameters<T> _p;
    private readonly OutputLayer<T> _output;
    private readonly Func<int, int[]?> _nextSentence;
    private readonly int _streams;
    private readonly int _bptt;
    private readonly int _block;
    private readonly int _window; // steps of history kept: bptt + block
    private readonly WorkTeam _team;
    private readonly int _slices; // members that take streams: each takes at least MinSliceStreams
    private readonly int _start;
    private readonly Action<int> _forwardSlice;
    private readonly Action<int> _backwardSlice;
    private readonly Action<int> _gradientSlice;
    private readonly Action<int> _finishSlice;

    // Ring buffers indexed by step % window.
    private readonly T[][] _hidden; // [window][B, Dh] h(t)
    private readonly T[][] _previous; // [window][B, Dh] h(t−1) as used at t (zero rows at a sentence start)
    private readonly int[][] _inputs; // [window][B] x(t), −1 when the stream is idle
    private readonly int[][] _targets; // [window][B] the word predicted at t
    private readonly bool[][] _starts; // [window][B] t is the first step of a sentence, so h(t−1) = 0 is a constant

    private readonly int[][] _sentences; // [B] current sentence of each stream (ids, ending in </s>)
    private readonly int[] _positions; // [B] next target index in it
    private long _step;

    // The block being run: its first step, its steps, and the steps back through time from its last one.
    private long _blockStart;
    private int _blockSteps;
    private int _visits;
    private Parameters<T>? _gradients;
    private int _stacked; // steps on the stack

    // Scratch.
    private readonly T[] _embedded; // [B·block, d] e(t) of the block's steps, stream by stream
    private readonly T[] _projected; // [B·block, Dh] e(t)I, likewise
    private readonly T[] _carry; // [B, Dh] dJ/dh(t) flowing back
    private readonly T[] _recurrentTransposed; // [Dh, Dh] Hᵀ, made once a block for the steps back through time
    private readonly bool[] _live; // [team, window] the member's slice has a non-zero delta at the visit
    private readonly int[][] _touched; // [team][window·B] embedding rows a member has summed into this block
    private readonly bool[] _marked; // [|V|] the row is in its owner's list

    // Back-propagation through a block stacks the steps it visits, latest first, and forms the weight gradients
    // with one product over all of them instead of one per step. Visit v (step last − v) is written at slab v
    // and the slabs of steps with no non-zero delta are then squeezed out.
    private readonly T[] _deltas; // [window·B, Dh] dJ/d(pre-activation)
    private readonly T[] _previousStack; // [window·B, Dh] h(t−1)
    private readonly int[] _inputStack; // [window·B] x(t), −1 when idle
    private readonly T[] _embeddedStack; // [window·B, d] e(t)
    private readonly T[] _embeddingGrads; // [window·B, d]
    private readonly T[] _blockHidden; // [B·block, Dh]
    private readonly T[] _blockHiddenGrad; // [B·block, Dh]
    private readonly int[] _blockTargets; // [B·block]
    private readonly int[] _blockRows; // [B·block] row index of (t, b), −1 when idle
    private readonly T[] _blockLogProbs; // [B·block]

    public BpttNetwork(Parameters<T> parameters, ClassMap? classes, int streams, int bptt, int block, WorkTeam team, int startId, Func<int, int[]?> nextSentence)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(streams, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(bptt, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(block, 1);
        _p = parameters;
        _output = new OutputLayer<T>(parameters, classes, team);
        _nextSentence = nextSentence;
        (_streams, _bptt, _block, _team, _start) = (streams, bptt, block, team, startId);
        _slices = Math.Clamp(streams / MinSliceStreams, 1, team.Size);
        (_forwardSlice, _backwardSlice, _gradientSlice, _finishSlice) = (ForwardSlice, BackwardSlice, GradientSlice, FinishSlice);
        _window = bptt + block;
        var (d, dh) = (parameters.Shape.Embedding, parameters.Shape.Hidden);
        _hidden = NewArrays<T>(_window, streams * dh);
        _previous = NewArrays<T>(_window, streams * dh);
        _inputs = NewArrays<int>(_window, streams);
        _targets = NewArrays<int>(_window, streams);
        _starts = NewArrays<bool>(_window, streams);
        _sentences = new int[streams][];
        _positions = new int[streams];
        for (var b = 0; b < streams; b++)
        {
            _sentences[b] = [];
        }

        _embedded = new T[streams * block * d];
        _projected = new T[streams * block * dh];
        _carry = new T[streams * dh];
        _recurrentTransposed = new T[dh * dh];
        _live = new bool[team.Size * _window];
        _touched = NewArrays<int>(team.Size, _window * streams);
        _marked = new bool[parameters.Shape.VocabularySize];
        _deltas = new T[_window * streams * dh];
        _previousStack = new T[_window * streams * dh];
        _inputStack = new int[_window * streams];
        _embeddedStack = new T[_window * streams * d];
        _embeddingGrads = new T[_window * streams * d];
        _blockHidden = new T[streams * block * dh];
        _blockHiddenGrad = new T[streams * block * dh];
        _blockTargets = new int[streams * block];
        _blockRows = new int[streams * block];
        _blockLogProbs = new T[streams * block];
    }

    /// <summary>Gradient clipping: each component of dJ/d(pre-activation) is clipped to ±this (rnnlm's cutoff).</summary>
    public T Clip { get; set; } = T.PositiveInfinity;

    /// <summary>
    /// When set, every block ends with the SGD step on the recurrent part: weights ← weights·(1 − Decay) −
    /// Rate·gradient for H, I and the embedding rows used (b1 without decay), and the gradient is cleared.
    /// When not set, the gradients are left summed in the buffer passed to <see cref="RunBlock"/>.
    /// </summary>
    public (T Rate, T Decay)? Step { get; set; }

    /// <summary>
    /// Runs the next block: forward through up to <c>block</c> steps of every stream, then back through time.
    /// The output layer's gradient goes to <paramref name="outputSink"/>; the other weights' gradients (of Σ J,
    /// unscaled) are added to <paramref name="gradients"/>, or with <see cref="Step"/> set applied and cleared.
    /// Returns false when every stream has run out of sentences.
    /// </summary>
    public bool RunBlock(OutputSink<T>? outputSink, Parameters<T>? gradients, out double logProb, out int tokens)
    {
        var b = _streams;
        var blockStart = _step;
        var rows = 0;
        var steps = 0;
        for (; steps < _block; steps++)
        {
            if (!Schedule())
            {
                break;
            }

            var slot = (int)(_step % _window);
            for (var s = 0; s < b; s++)
            {
                var row = (steps * b) + s;
                if (_inputs[slot][s] < 0)
                {
                    _blockRows[row] = -1;
                    continue;
                }

                _blockRows[row] = rows;
                _blockTargets[rows] = _targets[slot][s];
                rows++;
            }

            _step++;
        }

        logProb = 0;
        tokens = rows;
        if (steps == 0)
        {
            return false;
        }

        (_blockStart, _blockSteps) = (blockStart, steps);
        _team.Run(_forwardSlice);
        var logProbs = _blockLogProbs.AsSpan(0, rows);
        logProbs.Clear();
        _output.Run(_blockHidden, _blockTargets, rows, logProbs, outputSink, _blockHiddenGrad);
        foreach (var lp in logProbs)
        {
            logProb += double.CreateTruncating(lp);
        }

        if (gradients is not null)
        {
            Backward(gradients);
        }

        return true;
    }

    // Which sentence each stream reads at the next step, and its input and target there: the same order of
    // sentences whatever the team's size. Returns false when all streams are idle.
    private bool Schedule()
    {
        var slot = (int)(_step % _window);
        var inputs = _inputs[slot];
        var active = false;
        for (var s = 0; s < _streams; s++)
        {
            if (_positions[s] >= _sentences[s].Length)
            {
                var next = _nextSentence(s);
                (_sentences[s], _positions[s]) = (next ?? [], 0);
            }

            if (_sentences[s].Length == 0)
            {
                inputs[s] = -1;
                continue;
            }

            active = true;
            var position = _positions[s]++;
            inputs[s] = position == 0 ? _start : _sentences[s][position - 1];
            _targets[slot][s] = _sentences[s][position];
            _starts[slot][s] = position == 0;
        }

        return active;
    }

    // Member's slice of the streams through the block's steps: pre = h(t−1)H + e(t)I + b1, h(t) = sigmoid(pre).
    private void ForwardSlice(int member)
    {
        var (d, dh, b) = (_p.Shape.Embedding, _p.Shape.Hidden, _streams);

        // Hᵀ for the way back (H does not change before then): the member's rows of H into columns of Hᵀ.
        var (hFrom, hTo) = WorkTeam.Split(dh, _team.Size, member);
        Transpose(_p.Recurrent, _recurrentTransposed, dh, hFrom, hTo);
        var (first, end) = Gemm.SplitRows(b, _slices, member);
        var count = end - first;
        if (count == 0)
        {
            return;
        }

        // e(t)I does not depend on the recurrence: one product for all of the block's steps. Row (s, i) is
        // the same chain as a product per step would give, and it is added to h(t−1)H + b1 in the same order.
        var (steps, blockRows) = (_blockSteps, count * _block);
        for (var s = 0; s < count; s++)
        {
            for (var i = 0; i < steps; i++)
            {
                Embed(_inputs[(int)((_blockStart + i) % _window)][first + s], _embedded.AsSpan((((first + s) * _block) + i) * d, d));
            }
        }

        Gemm.Multiply<T>(_embedded.AsSpan(first * _block * d, blockRows * d), d, false, _p.Input, dh, false,
                         _projected.AsSpan(first * _block * dh, blockRows * dh), dh, blockRows, dh, d, false);
        for (var i = 0; i < steps; i++)
        {
            var step = _blockStart + i;
            var slot = (int)(step % _window);
            var previousSlot = (int)((step + _window - 1) % _window);
            var inputs = _inputs[slot].AsSpan(first, count);
            var previous = _previous[slot].AsSpan(first * dh, count * dh);
            var hidden = _hidden[slot].AsSpan(first * dh, count * dh);
            for (var s = 0; s < count; s++)
            {
                var row = previous.Slice(s * dh, dh);
                if (inputs[s] < 0 || _starts[slot][first + s])
                {
                    row.Clear();
                }
                else
                {
                    _hidden[previousSlot].AsSpan((first + s) * dh, dh).CopyTo(row);
                }

                _p.HiddenBias.CopyTo(hidden.Slice(s * dh, dh));
            }

            Gemm.Multiply<T>(previous, dh, false, _p.Recurrent, dh, false, hidden, dh, count, dh, dh, true);
            for (var s = 0; s < count; s++)
            {
                var row = hidden.Slice(s * dh, dh);
                TensorPrimitives.Add(row, _projected.AsSpan((((first + s) * _block) + i) * dh, dh), row);
            }

            // TensorPrimitives takes narrower vectors for shorter spans; a slice is at least 8 floats, where every
            // width gives the same bits (tested with slices of 8 and 9 against one of 17).
            TensorPrimitives.Sigmoid<T>(hidden, hidden);
            for (var s = 0; s < count; s++)
            {
                var blockRow = _blockRows[(i * b) + first + s];
                if (inputs[s] < 0)
                {
                    hidden.Slice(s * dh, dh).Clear();
                }
                else
                {
                    hidden.Slice(s * dh, dh).CopyTo(_blockHidden.AsSpan(blockRow * dh, dh));
                }
            }
        }
    }

    private void Backward(Parameters<T> g)
    {
        var (d, dh, b) = (_p.Shape.Embedding, _p.Shape.Hidden, _streams);
        var last = _blockStart + _blockSteps - 1;
        _visits = (int)(last - Math.Max(0, _blockStart - _bptt)) + 1;
        _team.Run(_backwardSlice);

        // Stack the visits where some delta is non-zero, latest first; back before the block, the first visit
        // with none ends the walk, since nothing flows further back from it.
        var stacked = 0;
        for (var v = 0; v < _visits; v++)
        {
            var live = false;
            for (var m = 0; m < _team.Size; m++)
            {
                live |= _live[(m * _window) + v];
            }

            if (!live)
            {
                if (last - v < _blockStart)
                {
                    break;
                }

                continue;
            }

            if (stacked != v)
            {
                _deltas.AsSpan(v * b * dh, b * dh).CopyTo(_deltas.AsSpan(stacked * b * dh));
                _previousStack.AsSpan(v * b * dh, b * dh).CopyTo(_previousStack.AsSpan(stacked * b * dh));
                _embeddedStack.AsSpan(v * b * d, b * d).CopyTo(_embeddedStack.AsSpan(stacked * b * d));
                _inputStack.AsSpan(v * b, b).CopyTo(_inputStack.AsSpan(stacked * b));
            }

            stacked++;
        }

        _stacked = stacked;
        // The step changes I, which the embeddings' gradient is formed with: a phase of its own.
        _gradients = g;
        _team.Run(_gradientSlice);
        _team.Run(_finishSlice);
        _gradients = null;
    }

    // Member's slice of the streams back through time: the deltas of every visit at their slab, with h(t−1),
    // e(t) and x(t) beside them. A slice whose carry has died before the block fills its remaining slabs
    // without arithmetic: its deltas are zero there.
    private void BackwardSlice(int member)
    {
        var (d, dh, b) = (_p.Shape.Embedding, _p.Shape.Hidden, _streams);
        var (first, end) = Gemm.SplitRows(b, _slices, member);
        var count = end - first;
        var live = _live.AsSpan(member * _window, _visits);
        live.Clear();
        if (count == 0)
        {
            return;
        }

        var carry = _carry.AsSpan(first * dh, count * dh);
        carry.Clear();
        var last = _blockStart + _blockSteps - 1;
        var dead = false;
        for (var v = 0; v < _visits; v++)
        {
            var t = last - v;
            var slot = (int)(t % _window);
            var inputs = _inputs[slot].AsSpan(first, count);
            var hidden = _hidden[slot].AsSpan(first * dh, count * dh);
            var delta = _deltas.AsSpan(((v * b) + first) * dh, count * dh);
            var any = false;
            if (dead)
            {
                delta.Clear();
            }
            else
            {
                for (var s = 0; s < count; s++)
                {
                    var row = delta.Slice(s * dh, dh);
                    if (inputs[s] < 0)
                    {
                        row.Clear();
                        continue;
                    }

                    var output = t >= _blockStart ? _blockHiddenGrad.AsSpan(_blockRows[((int)(t - _blockStart) * b) + first + s] * dh, dh) : [];
                    any |= Delta(carry.Slice(s * dh, dh), output, hidden.Slice(s * dh, dh), row, Clip);
                }
            }

            live[v] = any;
            _previous[slot].AsSpan(first * dh, count * dh).CopyTo(_previousStack.AsSpan(((v * b) + first) * dh));
            inputs.CopyTo(_inputStack.AsSpan((v * b) + first, count));
            Gather(inputs, _embeddedStack.AsSpan(((v * b) + first) * d, count * d));
            if (!any)
            {
                dead |= t < _blockStart;
                carry.Clear();
                continue;
            }

            // dJ/dh(t−1) = delta Hᵀ, except into a sentence start, where h(t−1) = 0 is a constant.
            Gemm.Multiply<T>(delta, dh, false, _recurrentTransposed, dh, false, carry, dh, count, dh, dh, false);
            for (var s = 0; s < count; s++)
            {
                if (inputs[s] < 0 || _starts[slot][first + s])
                {
                    carry.Slice(s * dh, dh).Clear();
                }
            }
        }
    }

    // Member's rows of the weight gradients over all stacked steps (dJ/dH += h(t−1)ᵀ delta, dJ/dI += e(t)ᵀ delta,
    // dJ/db1 += delta) and its rows of delta Iᵀ, the embeddings' gradient.
    private void GradientSlice(int member)
    {
        var (d, dh, rows, g) = (_p.Shape.Embedding, _p.Shape.Hidden, _stacked * _streams, _gradients!);
        if (rows == 0)
        {
            return;
        }

        // Rows of dH and dI, so that each member packs only its part of the transposed stacks; every split of a
        // product's rows is Gemm's, which gives each row the bits of one call over all of them.
        var deltas = _deltas.AsSpan(0, rows * dh);
        var (from, to) = Gemm.SplitRows(dh, _team.Size, member);
        if (to > from)
        {
            Gemm.Multiply<T>(_previousStack.AsSpan(from, ((rows - 1) * dh) + to - from), dh, true, deltas, dh, false, g.Recurrent.AsSpan(from * dh, (to - from) * dh), dh, to - from, dh, rows, true);
            var bias = g.HiddenBias.AsSpan(from, to - from);
            for (var r = 0; r < rows; r++)
            {
                TensorPrimitives.Add(bias, _deltas.AsSpan((r * dh) + from, to - from), bias);
            }
        }

        (from, to) = Gemm.SplitRows(d, _team.Size, member);
        if (to > from)
        {
            Gemm.Multiply<T>(_embeddedStack.AsSpan(from, ((rows - 1) * d) + to - from), d, true, deltas, dh, false, g.Input.AsSpan(from * dh, (to - from) * dh), dh, to - from, dh, rows, true);
        }

        var (first, end) = Gemm.SplitRows(rows, _team.Size, member);
        if (end > first)
        {
            Gemm.Multiply<T>(_deltas.AsSpan(first * dh, (end - first) * dh), dh, false, _p.Input, dh, true, _embeddingGrads.AsSpan(first * d), d, end - first, d, dh, false);
        }
    }

    // Member's part of the block's end: dJ/dL[x(t)] += delta Iᵀ for the embedding rows it owns (x mod team size),
    // summed in stack order as one thread would; then, with a Step, the step on those rows and on the rows of H
    // and I and the part of b1 whose gradient it formed (read where they were written).
    private void FinishSlice(int member)
    {
        var (d, dh, rows, g) = (_p.Shape.Embedding, _p.Shape.Hidden, _stacked * _streams, _gradients!);
        var touched = _touched[member];
        var count = 0;
        for (var r = 0; r < rows; r++)
        {
            var x = _inputStack[r];
            if (x < 0 || x % _team.Size != member)
            {
                continue;
            }

            var row = g.Embedding.AsSpan(x * d, d);
            TensorPrimitives.Add(row, _embeddingGrads.AsSpan(r * d, d), row);
            if (!_marked[x])
            {
                _marked[x] = true;
                touched[count++] = x;
            }
        }

        foreach (var x in touched.AsSpan(0, count))
        {
            _marked[x] = false;
        }

        if (Step is not { } step)
        {
            return;
        }

        var (rate, decay) = step;
        foreach (var x in touched.AsSpan(0, count))
        {
            StepWeights(_p.Embedding.AsSpan(x * d, d), g.Embedding.AsSpan(x * d, d), rate, decay);
        }

        var (from, to) = Gemm.SplitRows(dh, _team.Size, member);
        StepWeights(_p.Recurrent.AsSpan(from * dh, (to - from) * dh), g.Recurrent.AsSpan(from * dh, (to - from) * dh), rate, decay);
        StepWeights(_p.HiddenBias.AsSpan(from, to - from), g.HiddenBias.AsSpan(from, to - from), rate, T.Zero);
        (from, to) = Gemm.SplitRows(d, _team.Size, member);
        StepWeights(_p.Input.AsSpan(from * dh, (to - from) * dh), g.Input.AsSpan(from * dh, (to - from) * dh), rate, decay);
    }

    // weights −= rate·gradient + decay·weights, then the gradient is cleared for the next block. A decay below
    // half an ulp of 1 (for float, rate·beta < 2⁻²⁵: with beta 1e-6, alpha / streams < 0.03, as for `bench` and
    // the default model) leaves 1 − decay at exactly 1, and the pass over the weights is skipped: it would not
    // change a bit.
    private static void StepWeights(Span<T> weights, Span<T> gradient, T rate, T decay)
    {
        if (T.One - decay != T.One)
        {
            TensorPrimitives.Multiply(weights, T.One - decay, weights);
        }

        TensorPrimitives.MultiplyAdd(gradient, -rate, weights, weights);
        gradient.Clear();
    }

    // delta = clamp((carry + output) ⊙ sigmoid'(pre), ±clip), where sigmoid' = h(1 − h) and the output layer's
    // gradient is absent (empty) before the block. Returns whether any element is non-zero. The vector lanes and
    // the scalar tail do the same arithmetic, element by element.
    private static bool Delta(ReadOnlySpan<T> carry, ReadOnlySpan<T> output, ReadOnlySpan<T> h, Span<T> delta, T clip)
    {
        var any = false;
        var j = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            var (low, high) = (new Vector<T>(-clip), new Vector<T>(clip));
            for (; j + Vector<T>.Count <= delta.Length; j += Vector<T>.Count)
            {
                var gradient = new Vector<T>(carry[j..]);
                if (!output.IsEmpty)
                {
                    gradient += new Vector<T>(output[j..]);
                }

                var hv = new Vector<T>(h[j..]);
                var value = Vector.Clamp(gradient * hv * (Vector<T>.One - hv), low, high);
                value.CopyTo(delta[j..]);
                any |= !Vector.EqualsAll(value, Vector<T>.Zero);
            }
        }

        for (; j < delta.Length; j++)
        {
            var gradient = output.IsEmpty ? carry[j] : carry[j] + output[j];
            delta[j] = T.Clamp(gradient * h[j] * (T.One - h[j]), -clip, clip);
            any |= delta[j] != T.Zero;
        }

        return any;
    }

    // destination[j, i] = source[i, j] for rows [from, to) of a square [n, n] matrix.
    private static void Transpose(ReadOnlySpan<T> source, Span<T> destination, int n, int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            for (var j = 0; j < n; j++)
            {
                destination[(j * n) + i] = source[(i * n) + j];
            }
        }
    }

    private void Gather(ReadOnlySpan<int> inputs, Span<T> destination)
    {
        var d = _p.Shape.Embedding;
        for (var s = 0; s < inputs.Length; s++)
        {
            Embed(inputs[s], destination.Slice(s * d, d));
        }
    }

    // e = x L: the word's row of the embeddings, or zeros for an idle stream (−1).
    private void Embed(int input, Span<T> row)
    {
        if (input < 0)
        {
            row.Clear();
        }
        else
        {
            _p.Embedding.AsSpan(input * _p.Shape.Embedding, _p.Shape.Embedding).CopyTo(row);
        }
    }

    private static TItem[][] NewArrays<TItem>(int count, int length)
    {
        var arrays = new TItem[count][];
        for (var i = 0; i < count; i++)
        {
            arrays[i] = new TItem[length];
        }

        return arrays;
    }
}
