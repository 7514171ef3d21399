using System.Numerics;
using System.Numerics.Tensors;
using RnnLm.Engine.Model;
using RnnLm.Engine.Numerics;

namespace RnnLm.Engine.Training;

/// <summary>
/// Runs B sentence streams in lock-step through the network and back-propagates through time in blocks, for every
/// kind of hidden layer (<see cref="CellKind"/>).
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
/// <para>
/// This file holds the state and runs a block forward; BpttNetwork.Cells has the gated cells' steps forward and back;
/// BpttNetwork.Backward carries a block back through time, forms the weight gradients and takes the step.
/// </para>
/// </remarks>
internal sealed partial class BpttNetwork<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    // Fewer streams than this per member make the per-step products too small to repay the hand-over
    // (measured on Brown: 8 streams split over 2 members trained at 150k words/s, kept on one at 230k).
    private const int MinSliceStreams = 8;

    private readonly Parameters<T> _p;
    private readonly CellKind _cell;
    private readonly int _width; // G·Dh: the columns of I, H and b1, every gate's pre-activation side by side
    private readonly bool _noProjection; // ModelShape.NoProjection: e(t) enters the gates as it is (d = G·Dh, no I)
    private readonly OutputLayer<T> _output;
    private readonly ClassMap? _classes;
    private readonly WordTree? _tree;
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
    private readonly T[][] _gates; // [window][B, G·Dh] the gated cells' gates after their activations (GRU [r|z|n], LSTM [i|f|g|o])
    private readonly T[][] _reset; // [window][B, Dh] GRU: r ⊙ h(t−1), the candidate's recurrent input
    private readonly T[][] _memory; // [window][B, Dh] LSTM: c(t)
    private readonly T[][] _previousMemory; // [window][B, Dh] LSTM: c(t−1) as used at t (zero rows at a sentence start)
    private readonly T[][] _inputMask = []; // [window][B, d] dropout: e(t)'s mask, 0 or 1 / (1 − p)
    private readonly T[][] _outputMask = []; // [window][B, Dh] dropout: h(t)'s mask on its way to the output layer

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
    private readonly T[] _projected; // [B·block, G·Dh] e(t)I, likewise (_embedded itself without a projection)
    private readonly T[] _carry; // [B, Dh] dJ/dh(t) flowing back
    private readonly T[] _memoryCarry; // [B, Dh] LSTM: dJ/dc(t) flowing back
    private readonly T[] _resetGradient; // [B, Dh] GRU: dJ/d(r ⊙ h(t−1)) = δn H_nᵀ
    private readonly T[] _discard; // [B, Dh] GRU: where a dropped term's sum goes (tests only)
    private readonly T[] _recurrentTransposed; // [G·Dh, Dh] Hᵀ, made once a block for the steps back through time
    private readonly bool[] _live; // [team, window] the member's slice has a non-zero delta at the visit
    private readonly int[][] _touched; // [team][window·B] embedding rows a member has summed into this block
    private readonly bool[] _marked; // [|V|] the row is in its owner's list

    // Back-propagation through a block stacks the steps it visits, latest first, and forms the weight gradients
    // with one product over all of them instead of one per step. Visit v (step last − v) is written at slab v
    // and the slabs of steps with no non-zero delta are then squeezed out.
    private readonly T[] _deltas; // [window·B, G·Dh] dJ/d(pre-activation) of every gate
    private readonly T[] _previousStack; // [window·B, Dh] h(t−1)
    private readonly T[] _resetStack; // [window·B, Dh] GRU: r ⊙ h(t−1)
    private readonly int[] _inputStack; // [window·B] x(t), −1 when idle
    private readonly T[] _embeddedStack; // [window·B, d] e(t) (masked with dropout)
    private T[] _maskStack = []; // [window·B, d] dropout: e(t)'s mask
    private readonly T[] _embeddingGrads; // [window·B, d]
    private readonly T[] _blockHidden; // [B·block, Dh]
    private readonly T[] _blockHiddenGrad; // [B·block, Dh]
    private readonly int[] _blockTargets; // [B·block]
    private readonly int[] _blockContexts; // [B·block, N − 1] each target's context, for the direct connections
    private readonly int _contextWidth; // N − 1 (0 without direct connections)
    private readonly int[] _blockRows; // [B·block] row index of (t, b), −1 when idle
    private readonly T[] _blockLogProbs; // [B·block]

    public BpttNetwork(Parameters<T> parameters, ClassMap? classes, int streams, int bptt, int block, WorkTeam team, int startId, Func<int, int[]?> nextSentence, WordTree? tree = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(streams, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(bptt, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(block, 1);
        _p = parameters;
        (_cell, _width, _noProjection) = (parameters.Shape.Cell, parameters.Shape.GateWidth, parameters.Shape.NoProjection);
        // With a team, D's update waits for the way back, where no one reads D, and members without streams to walk take
        // it. Alone, a thread updates D at once, while the entries it has just read are in its cache.
        _output = new OutputLayer<T>(parameters, classes, team, tree) { DeferDirectUpdate = parameters.Shape.DirectSize > 0 && team.Size > 1 };
        _classes = classes;
        _tree = tree;
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
        var (gru, lstm) = (_cell == CellKind.Gru, _cell == CellKind.Lstm);
        _gates = NewArrays<T>(_window, _cell == CellKind.Sigmoid ? 0 : streams * _width);
        _reset = NewArrays<T>(_window, gru ? streams * dh : 0);
        _memory = NewArrays<T>(_window, lstm ? streams * dh : 0);
        _previousMemory = NewArrays<T>(_window, lstm ? streams * dh : 0);
        _sentences = new int[streams][];
        _positions = new int[streams];
        for (var b = 0; b < streams; b++)
        {
            _sentences[b] = [];
        }

        _embedded = new T[streams * block * d];
        _projected = _noProjection ? _embedded : new T[streams * block * _width];
        _carry = new T[streams * dh];
        _memoryCarry = new T[lstm ? streams * dh : 0];
        _resetGradient = new T[gru ? streams * dh : 0];
        _discard = new T[gru ? streams * dh : 0];
        _recurrentTransposed = new T[_width * dh];
        _live = new bool[team.Size * _window];
        _touched = NewArrays<int>(team.Size, _window * streams);
        _marked = new bool[parameters.Shape.VocabularySize];
        _deltas = new T[_window * streams * _width];
        _previousStack = new T[_window * streams * dh];
        _resetStack = new T[gru ? _window * streams * dh : 0];
        _inputStack = new int[_window * streams];
        _embeddedStack = _noProjection ? [] : new T[_window * streams * d];
        _embeddingGrads = new T[_window * streams * d];
        _blockHidden = new T[streams * block * dh];
        _blockHiddenGrad = new T[streams * block * dh];
        _blockTargets = new int[streams * block];
        _contextWidth = parameters.Shape.DirectSize > 0 ? parameters.Shape.DirectOrder - 1 : 0;
        _blockContexts = new int[streams * block * _contextWidth];
        _blockRows = new int[streams * block];
        _blockLogProbs = new T[streams * block];
    }

    /// <summary>
    /// Inverted dropout on e(t) into the hidden layer and on h(t) into the output layer (never on the recurrent path), with
    /// the masks of <see cref="Training.Dropout"/> for each step and stream; none when null.
    /// </summary>
    public Dropout? Dropout
    {
        get;
        init
        {
            field = value;
            if (value is not null)
            {
                var (d, dh) = (_p.Shape.Embedding, _p.Shape.Hidden);
                _inputMask = NewArrays<T>(_window, _streams * d);
                _outputMask = NewArrays<T>(_window, _streams * dh);
                _maskStack = new T[_window * _streams * d];
            }
        }
    }

    /// <summary>Gradient clipping: each component of dJ/d(pre-activation) of every gate is clipped to ±this (rnnlm's cutoff).</summary>
    public T Clip { get; set; } = T.PositiveInfinity;

    /// <summary>Terms left out of the gradient, for the tests that prove each one matters; none in training.</summary>
    internal GradientTerms Dropped
    {
        get => _output.Dropped;
        set => _output.Dropped = value;
    }

    /// <summary>
    /// When set, every block ends with the SGD step on the recurrent part: weights ← weights·(1 − Decay) −
    /// Rate·gradient for H, I and the embedding rows used (b1 without decay), and the gradient is cleared.
    /// When not set, the gradients are left summed in the buffer passed to <see cref="RunBlock"/>.
    /// </summary>
    public (T Rate, T Decay)? Step { get; set; }

    /// <summary>The rate of <see cref="Step"/> for the embedding rows when it differs from the others' (null: the same).</summary>
    public T? RowRate { get; set; }

    /// <summary>
    /// Runs the next block: forward through up to <c>block</c> steps of every stream, then back through time.
    /// The output layer's gradient goes to <paramref name="outputSink"/>; the other weights' gradients (of Σ J,
    /// unscaled) are added to <paramref name="gradients"/>, or with <see cref="Step"/> set applied and cleared.
    /// Returns false when every stream has run out of sentences.
    /// </summary>
    public bool RunBlock(OutputSink<T>? outputSink, Parameters<T>? gradients, out double logProb, out int tokens)
    {
        if (Optimizer is not null && gradients is not null && outputSink?.Target != gradients)
        {
            throw new InvalidOperationException("With an optimiser's step, the output layer's gradient goes to the same buffer as the others'.");
        }

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
                // Schedule has just moved the stream past this step's target.
                DirectFeatures.Context(_sentences[s], _positions[s] - 1, _start, _blockContexts.AsSpan(rows * _contextWidth, _contextWidth));
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
        _output.Run(_blockHidden, _blockTargets, _blockContexts, rows, logProbs, outputSink, _blockHiddenGrad);
        foreach (var lp in logProbs)
        {
            logProb += double.CreateTruncating(lp);
        }

        if (gradients is null && _output.DirectUpdatePending)
        {
            _output.FinishDirectUpdate();
        }

        if (gradients is not null)
        {
            Backward(gradients);
            if (Optimizer is not null)
            {
                TakeStep(gradients, rows);
            }
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

    // Member's slice of the streams through the block's steps: pre = b1 + h(t−1)H + e(t)I for every gate, then the
    // cell: h(t) = sigmoid(pre), or the GRU's and the LSTM's steps (BpttNetwork.Cells).
    private void ForwardSlice(int member)
    {
        var (d, dh, b, width) = (_p.Shape.Embedding, _p.Shape.Hidden, _streams, _width);

        // Hᵀ for the way back (H does not change before then): the member's rows of H into columns of Hᵀ.
        var (hFrom, hTo) = WorkTeam.Split(dh, _team.Size, member);
        Transpose(_p.Recurrent, _recurrentTransposed, dh, width, hFrom, hTo);
        var (first, end) = Gemm.SplitRows(b, _slices, member);
        var count = end - first;
        if (count == 0)
        {
            return;
        }

        // e(t)I does not depend on the recurrence: one product for all of the block's steps. Row (s, i) is
        // the same chain as a product per step would give, and it is added to h(t−1)H + b1 in the same order.
        // Without a projection, e(t) itself is that row.
        var (steps, blockRows) = (_blockSteps, count * _block);
        for (var s = 0; s < count; s++)
        {
            for (var i = 0; i < steps; i++)
            {
                var slot = (int)((_blockStart + i) % _window);
                var row = _embedded.AsSpan((((first + s) * _block) + i) * d, d);
                Embed(_inputs[slot][first + s], row);
                if (Dropout is not null && _inputs[slot][first + s] >= 0)
                {
                    Mask(_blockStart + i, slot, first + s, row);
                }
            }
        }

        if (!_noProjection)
        {
            Gemm.Multiply<T>(_embedded.AsSpan(first * _block * d, blockRows * d), d, false, _p.Input, width, false,
                             _projected.AsSpan(first * _block * width, blockRows * width), width, blockRows, width, d, false);
        }
        for (var i = 0; i < steps; i++)
        {
            var step = _blockStart + i;
            var slot = (int)(step % _window);
            var previousSlot = (int)((step + _window - 1) % _window);
            var inputs = _inputs[slot].AsSpan(first, count);
            var previous = _previous[slot].AsSpan(first * dh, count * dh);
            var hidden = _hidden[slot].AsSpan(first * dh, count * dh);
            var pre = _cell == CellKind.Sigmoid ? hidden : _gates[slot].AsSpan(first * width, count * width);
            for (var s = 0; s < count; s++)
            {
                var restart = inputs[s] < 0 || _starts[slot][first + s];
                Restart(_hidden[previousSlot], first + s, restart, previous.Slice(s * dh, dh));
                if (_cell == CellKind.Lstm)
                {
                    Restart(_memory[previousSlot], first + s, restart, _previousMemory[slot].AsSpan((first + s) * dh, dh));
                }

                _p.HiddenBias.CopyTo(pre.Slice(s * width, width));
            }

            // A GRU's candidate takes r ⊙ h(t−1), known only once r is: here its reset and update gates alone.
            var recurrentWidth = _cell == CellKind.Gru ? 2 * dh : width;
            Gemm.Multiply<T>(previous, dh, false, _p.Recurrent, width, false, pre, width, count, recurrentWidth, dh, true);
            for (var s = 0; s < count; s++)
            {
                var row = pre.Slice(s * width, width);
                TensorPrimitives.Add(row, _projected.AsSpan((((first + s) * _block) + i) * width, width), row);
            }

            switch (_cell)
            {
                case CellKind.Gru:
                    GruForward(slot, first, count);
                    break;
                case CellKind.Lstm:
                    LstmForward(slot, first, count);
                    break;
                default:
                    // TensorPrimitives takes narrower vectors for shorter spans; a slice is at least 8 floats, where every
                    // width gives the same bits (tested with slices of 8 and 9 against one of 17).
                    TensorPrimitives.Sigmoid<T>(hidden, hidden);
                    break;
            }

            for (var s = 0; s < count; s++)
            {
                var blockRow = _blockRows[(i * b) + first + s];
                if (inputs[s] < 0)
                {
                    hidden.Slice(s * dh, dh).Clear();
                }
                else if (Dropout is not null)
                {
                    TensorPrimitives.Multiply(hidden.Slice(s * dh, dh), _outputMask[slot].AsSpan((first + s) * dh, dh), _blockHidden.AsSpan(blockRow * dh, dh));
                }
                else
                {
                    hidden.Slice(s * dh, dh).CopyTo(_blockHidden.AsSpan(blockRow * dh, dh));
                }
            }
        }
    }

    // Dropout: makes the stream's masks of the step (kept for the way back) and drops units of its embedding row.
    private void Mask(long step, int slot, int stream, Span<T> embedded)
    {
        var (d, dh) = (_p.Shape.Embedding, _p.Shape.Hidden);
        var inputMask = _inputMask[slot].AsSpan(stream * d, d);
        Dropout!.Fill(inputMask, step, stream, Training.Dropout.InputLayer);
        Dropout.Fill(_outputMask[slot].AsSpan(stream * dh, dh), step, stream, Training.Dropout.OutputLayer);
        TensorPrimitives.Multiply(embedded, inputMask, embedded);
    }

    // The state a stream's step starts from: zeros at a sentence start or when idle, else the last step's.
    private static void Restart(T[] last, int stream, bool restart, Span<T> row)
    {
        if (restart)
        {
            row.Clear();
        }
        else
        {
            last.AsSpan(stream * row.Length, row.Length).CopyTo(row);
        }
    }

    // destination[j, i] = source[i, j] for rows [from, to) of a [rows, columns] matrix.
    private static void Transpose(ReadOnlySpan<T> source, Span<T> destination, int rows, int columns, int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            for (var j = 0; j < columns; j++)
            {
                destination[(j * rows) + i] = source[(i * columns) + j];
            }
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
