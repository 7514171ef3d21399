using RnnLm.Engine.Model;
using RnnLm.Engine.Numerics;

namespace RnnLm.Engine.Training;

// The gated cells' steps for a member's slice of the streams, forward and back. Their gates' pre-activations are the
// Dh-wide blocks of b1 + h(t−1)H + e(t)I (GRU [r | z | n], LSTM [i | f | g | o]); the element-wise math is Gates'.
internal sealed partial class BpttNetwork<T>
{
    // GRU, with the gates' rows holding b1 + h(t−1)H + e(t)I for r and z and b1 + e(t)I for n:
    // r, z = σ(·); n = tanh(b_n + e(t)I_n + (r ⊙ h(t−1))H_n); h(t) = z ⊙ h(t−1) + (1 − z) ⊙ n.
    private void GruForward(int slot, int first, int count)
    {
        var (dh, width) = (_p.Shape.Hidden, _width);
        var gates = _gates[slot].AsSpan(first * width, count * width);
        var previous = _previous[slot].AsSpan(first * dh, count * dh);
        var reset = _reset[slot].AsSpan(first * dh, count * dh);
        var hidden = _hidden[slot].AsSpan(first * dh, count * dh);
        for (var s = 0; s < count; s++)
        {
            Gates.GruGates(gates.Slice(s * width, 2 * dh), previous.Slice(s * dh, dh), reset.Slice(s * dh, dh));
        }

        Gemm.Multiply<T>(reset, dh, false, _p.Recurrent.AsSpan(2 * dh), width, false, gates[(2 * dh)..], width, count, dh, dh, true);
        for (var s = 0; s < count; s++)
        {
            var row = gates.Slice(s * width, width);
            Gates.GruHidden(row.Slice(2 * dh, dh), row.Slice(dh, dh), previous.Slice(s * dh, dh), hidden.Slice(s * dh, dh));
        }
    }

    // LSTM, with the gates' rows holding b1 + h(t−1)H + e(t)I: i, f, o = σ(·), g = tanh(·); c(t) = f ⊙ c(t−1) + i ⊙ g;
    // h(t) = o ⊙ tanh(c(t)).
    private void LstmForward(int slot, int first, int count)
    {
        var (dh, width) = (_p.Shape.Hidden, _width);
        var gates = _gates[slot].AsSpan(first * width, count * width);
        for (var s = 0; s < count; s++)
        {
            var stream = first + s;
            Gates.Lstm(gates.Slice(s * width, width), _previousMemory[slot].AsSpan(stream * dh, dh),
                       _memory[slot].AsSpan(stream * dh, dh), _hidden[slot].AsSpan(stream * dh, dh));
        }
    }

    // GRU, back through step t for the slice: the deltas [δr | δz | δn] from dJ/dh(t) (carry plus the output layer's
    // part), and dJ/dh(t−1) = dh ⊙ z + (δn H_nᵀ) ⊙ r + [δr | δz] [H_r | H_z]ᵀ into the carry. Returns whether any delta
    // is non-zero.
    private bool GruBackward(long t, int slot, int first, int count, Span<T> carry, Span<T> deltas)
    {
        var (dh, width) = (_p.Shape.Hidden, _width);
        var inputs = _inputs[slot].AsSpan(first, count);
        var gates = _gates[slot].AsSpan(first * width, count * width);
        var previous = _previous[slot].AsSpan(first * dh, count * dh);
        var any = false;
        for (var s = 0; s < count; s++)
        {
            var row = deltas.Slice(s * width, width);
            if (inputs[s] < 0)
            {
                row.Clear();
                continue;
            }

            var carried = carry.Slice(s * dh, dh);
            any |= Gates.GruDelta(carried, OutputGradient(t, first + s), gates.Slice(s * width, width), previous.Slice(s * dh, dh), row, Clip);
            Drop(GradientTerms.UpdateGate, row.Slice(dh, dh));
            Drop(GradientTerms.Candidate, row.Slice(2 * dh, dh));
            Drop(GradientTerms.UpdateCarry, carried);
        }

        if (!any)
        {
            // δn = 0, so δr = 0 too, and nothing reaches h(t−1) through H.
            for (var s = 0; s < count; s++)
            {
                deltas.Slice(s * width, dh).Clear();
            }

            return false;
        }

        var resetGradient = _resetGradient.AsSpan(first * dh, count * dh);
        Gemm.Multiply<T>(deltas[(2 * dh)..], width, false, _recurrentTransposed.AsSpan(2 * dh * dh, dh * dh), dh, false, resetGradient, dh, count, dh, dh, false);
        var discard = Dropped.HasFlag(GradientTerms.ResetCarry) ? _discard.AsSpan(first * dh, count * dh) : carry;
        for (var s = 0; s < count; s++)
        {
            var row = deltas.Slice(s * width, width);
            if (inputs[s] >= 0)
            {
                Gates.GruResetDelta(resetGradient.Slice(s * dh, dh), gates.Slice(s * width, width), previous.Slice(s * dh, dh), row, discard.Slice(s * dh, dh), Clip);
                Drop(GradientTerms.ResetGate, row[..dh]);
            }
        }

        if (!Dropped.HasFlag(GradientTerms.Recurrent))
        {
            Gemm.Multiply<T>(deltas, width, false, _recurrentTransposed, dh, false, carry, dh, count, dh, 2 * dh, true);
        }

        return true;
    }

    // LSTM, back through step t for the slice: the deltas [δi | δf | δg | δo] from dJ/dh(t) and dJ/dc(t), dJ/dc(t−1) =
    // dc ⊙ f into the memory's carry and dJ/dh(t−1) = deltas Hᵀ into the carry. Returns whether any delta is non-zero.
    private bool LstmBackward(long t, int slot, int first, int count, Span<T> carry, Span<T> deltas)
    {
        var (dh, width) = (_p.Shape.Hidden, _width);
        var inputs = _inputs[slot].AsSpan(first, count);
        var any = false;
        for (var s = 0; s < count; s++)
        {
            var row = deltas.Slice(s * width, width);
            var stream = first + s;
            var memoryCarry = _memoryCarry.AsSpan(stream * dh, dh);
            if (inputs[s] < 0)
            {
                row.Clear();
                memoryCarry.Clear();
                continue;
            }

            any |= Gates.LstmDelta(carry.Slice(s * dh, dh), OutputGradient(t, stream), memoryCarry, _gates[slot].AsSpan(stream * width, width),
                                   _memory[slot].AsSpan(stream * dh, dh), _previousMemory[slot].AsSpan(stream * dh, dh), row, Clip);
            Drop(GradientTerms.InputGate, row[..dh]);
            Drop(GradientTerms.ForgetGate, row.Slice(dh, dh));
            Drop(GradientTerms.CellInput, row.Slice(2 * dh, dh));
            Drop(GradientTerms.OutputGate, row.Slice(3 * dh, dh));
            Drop(GradientTerms.MemoryCarry, memoryCarry);
        }

        if (any && !Dropped.HasFlag(GradientTerms.Recurrent))
        {
            Gemm.Multiply<T>(deltas, width, false, _recurrentTransposed, dh, false, carry, dh, count, dh, width, false);
        }
        else
        {
            carry.Clear();
        }

        return any;
    }

    // The output layer's dJ/dh(t) for a stream, or empty before the block (or where the stream is idle).
    private ReadOnlySpan<T> OutputGradient(long t, int stream)
    {
        if (t < _blockStart)
        {
            return [];
        }

        var row = _blockRows[((int)(t - _blockStart) * _streams) + stream];
        return row < 0 ? [] : _blockHiddenGrad.AsSpan(row * _p.Shape.Hidden, _p.Shape.Hidden);
    }

    private void Drop(GradientTerms term, Span<T> values)
    {
        if (Dropped.HasFlag(term))
        {
            values.Clear();
        }
    }
}
