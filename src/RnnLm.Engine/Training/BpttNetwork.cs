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
/// </remarks>
internal sealed class BpttNetwork<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Parameters<T> _p;
    private readonly OutputLayer<T> _output;
    private readonly Func<int, int[]?> _nextSentence;
    private readonly int _streams;
    private readonly int _bptt;
    private readonly int _block;
    private readonly int _window; // steps of history kept: bptt + block
    private readonly int _threads;
    private readonly int _start;

    // Ring buffers indexed by step % window.
    private readonly T[][] _hidden; // [window][B, Dh] h(t)
    private readonly T[][] _previous; // [window][B, Dh] h(t−1) as used at t (zero rows at a sentence start)
    private readonly int[][] _inputs; // [window][B] x(t), −1 when the stream is idle
    private readonly int[][] _targets; // [window][B] the word predicted at t
    private readonly bool[][] _starts; // [window][B] t is the first step of a sentence, so h(t−1) = 0 is a constant

    private readonly int[][] _sentences; // [B] current sentence of each stream (ids, ending in </s>)
    private readonly int[] _positions; // [B] next target index in it
    private long _step;

    // Scratch.
    private readonly T[] _embedded; // [B, d]
    private readonly T[] _carry; // [B, Dh] dJ/dh(t) flowing back
    private readonly T[] _recurrentTransposed; // [Dh, Dh] Hᵀ, made once a block for the steps back through time

    // Back-propagation through a block stacks the steps it visits, latest first, and forms the weight gradients
    // with one product over all of them instead of one per step.
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

    public BpttNetwork(Parameters<T> parameters, ClassMap? classes, int streams, int bptt, int block, int threads, int startId, Func<int, int[]?> nextSentence)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(streams, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(bptt, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(block, 1);
        _p = parameters;
        _output = new OutputLayer<T>(parameters, classes, threads);
        _nextSentence = nextSentence;
        (_streams, _bptt, _block, _threads, _start) = (streams, bptt, block, Math.Max(1, threads), startId);
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

        _embedded = new T[streams * d];
        _carry = new T[streams * dh];
        _recurrentTransposed = new T[dh * dh];
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
    /// Runs the next block: forward through up to <c>block</c> steps of every stream, then back through time.
    /// The output layer's gradient goes to <paramref name="outputSink"/>; the other weights' gradients (of Σ J,
    /// unscaled) are added to <paramref name="gradients"/>, whose embedding rows that were touched are listed in
    /// <paramref name="touchedEmbeddings"/>. Returns false when every stream has run out of sentences.
    /// </summary>
    public bool RunBlock(OutputSink<T>? outputSink, Parameters<T>? gradients, HashSet<int>? touchedEmbeddings, out double logProb, out int tokens)
    {
        var (dh, b) = (_p.Shape.Hidden, _streams);
        var blockStart = _step;
        var rows = 0;
        var steps = 0;
        for (; steps < _block; steps++)
        {
            if (!Forward())
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
                _hidden[slot].AsSpan(s * dh, dh).CopyTo(_blockHidden.AsSpan(rows * dh, dh));
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

        var logProbs = _blockLogProbs.AsSpan(0, rows);
        logProbs.Clear();
        _output.Run(_blockHidden, _blockTargets, rows, logProbs, outputSink, _blockHiddenGrad);
        foreach (var lp in logProbs)
        {
            logProb += double.CreateTruncating(lp);
        }

        if (gradients is not null)
        {
            Backward(blockStart, steps, gradients, touchedEmbeddings);
        }

        return true;
    }

    // One step of every stream. Returns false when all streams are idle.
    private bool Forward()
    {
        var (d, dh, b) = (_p.Shape.Embedding, _p.Shape.Hidden, _streams);
        var slot = (int)(_step % _window);
        var previousSlot = (int)((_step + _window - 1) % _window);
        var inputs = _inputs[slot];
        var previous = _previous[slot];
        var active = false;
        for (var s = 0; s < b; s++)
        {
            if (_positions[s] >= _sentences[s].Length)
            {
                var next = _nextSentence(s);
                (_sentences[s], _positions[s]) = (next ?? [], 0);
            }

            var prevRow = previous.AsSpan(s * dh, dh);
            if (_sentences[s].Length == 0)
            {
                inputs[s] = -1;
                prevRow.Clear();
                continue;
            }

            active = true;
            var position = _positions[s]++;
            inputs[s] = position == 0 ? _start : _sentences[s][position - 1];
            _targets[slot][s] = _sentences[s][position];
            _starts[slot][s] = position == 0;
            if (position == 0)
            {
                prevRow.Clear();
            }
            else
            {
                _hidden[previousSlot].AsSpan(s * dh, dh).CopyTo(prevRow);
            }
        }

        if (!active)
        {
            return false;
        }

        // pre = h(t−1)H + e(t)I + b1, then h(t) = sigmoid(pre).
        var hidden = _hidden[slot];
        Gather(inputs, _embedded);
        for (var s = 0; s < b; s++)
        {
            _p.HiddenBias.CopyTo(hidden.AsSpan(s * dh, dh));
        }

        Gemm.Multiply<T>(previous, dh, false, _p.Recurrent, dh, false, hidden, dh, b, dh, dh, true, _threads);
        Gemm.Multiply<T>(_embedded, d, false, _p.Input, dh, false, hidden, dh, b, dh, d, true, _threads);
        TensorPrimitives.Sigmoid<T>(hidden, hidden);
        for (var s = 0; s < b; s++)
        {
            if (inputs[s] < 0)
            {
                hidden.AsSpan(s * dh, dh).Clear();
            }
        }

        return true;
    }

    private void Backward(long blockStart, int steps, Parameters<T> g, HashSet<int>? touched)
    {
        var (d, dh, b) = (_p.Shape.Embedding, _p.Shape.Hidden, _streams);
        var carry = _carry.AsSpan();
        carry.Clear();
        Transpose(_p.Recurrent, _recurrentTransposed, dh);
        var earliest = Math.Max(0, blockStart - _bptt);
        var stacked = 0; // steps whose deltas are stacked
        for (var t = blockStart + steps - 1; t >= earliest; t--)
        {
            var slot = (int)(t % _window);
            var inputs = _inputs[slot];
            var hidden = _hidden[slot];
            var delta = _deltas.AsSpan(stacked * b * dh, b * dh);
            var any = false;
            for (var s = 0; s < b; s++)
            {
                var row = delta.Slice(s * dh, dh);
                if (inputs[s] < 0)
                {
                    row.Clear();
                    continue;
                }

                var output = t >= blockStart ? _blockHiddenGrad.AsSpan(_blockRows[((int)(t - blockStart) * b) + s] * dh, dh) : [];
                any |= Delta(carry.Slice(s * dh, dh), output, hidden.AsSpan(s * dh, dh), row, Clip);
            }

            if (!any)
            {
                if (t < blockStart)
                {
                    break;
                }

                carry.Clear();
                continue;
            }

            _previous[slot].AsSpan(0, b * dh).CopyTo(_previousStack.AsSpan(stacked * b * dh));
            inputs.AsSpan(0, b).CopyTo(_inputStack.AsSpan(stacked * b));
            stacked++;

            // dJ/dh(t−1) = delta Hᵀ, except into a sentence start, where h(t−1) = 0 is a constant.
            Gemm.Multiply<T>(delta, dh, false, _recurrentTransposed, dh, false, carry, dh, b, dh, dh, false, _threads);
            for (var s = 0; s < b; s++)
            {
                if (inputs[s] < 0 || _starts[slot][s])
                {
                    carry.Slice(s * dh, dh).Clear();
                }
            }
        }

        var rows = stacked * b;
        if (rows == 0)
        {
            return;
        }

        // Over all stacked steps: dJ/dH += h(t−1)ᵀ delta; dJ/dI += e(t)ᵀ delta; dJ/db1 += delta.
        var deltas = _deltas.AsSpan(0, rows * dh);
        var inputStack = _inputStack.AsSpan(0, rows);
        Gemm.Multiply<T>(_previousStack.AsSpan(0, rows * dh), dh, true, deltas, dh, false, g.Recurrent, dh, dh, dh, rows, true, _threads);
        Gather(inputStack, _embeddedStack);
        Gemm.Multiply<T>(_embeddedStack.AsSpan(0, rows * d), d, true, deltas, dh, false, g.Input, dh, d, dh, rows, true, _threads);
        for (var r = 0; r < rows; r++)
        {
            TensorPrimitives.Add(g.HiddenBias, deltas.Slice(r * dh, dh), g.HiddenBias);
        }

        // dJ/dL[x(t)] += delta Iᵀ.
        Gemm.Multiply<T>(deltas, dh, false, _p.Input, dh, true, _embeddingGrads, d, rows, d, dh, false, _threads);
        for (var r = 0; r < rows; r++)
        {
            var x = inputStack[r];
            if (x < 0)
            {
                continue;
            }

            var row = g.Embedding.AsSpan(x * d, d);
            TensorPrimitives.Add(row, _embeddingGrads.AsSpan(r * d, d), row);
            touched?.Add(x);
        }
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

    // destination[j, i] = source[i, j] for a square [n, n] matrix.
    private static void Transpose(ReadOnlySpan<T> source, Span<T> destination, int n)
    {
        for (var i = 0; i < n; i++)
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
            var row = destination.Slice(s * d, d);
            if (inputs[s] < 0)
            {
                row.Clear();
            }
            else
            {
                _p.Embedding.AsSpan(inputs[s] * d, d).CopyTo(row);
            }
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
