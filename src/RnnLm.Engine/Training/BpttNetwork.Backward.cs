using System.Numerics;
using System.Numerics.Tensors;
using RnnLm.Engine.Model;
using RnnLm.Engine.Numerics;

namespace RnnLm.Engine.Training;

// Back through time: each member's slice of the streams walks its deltas back, then the weight gradients are formed
// over all stacked steps, split by rows, and the block ends with the step.
internal sealed partial class BpttNetwork<T>
{
    private void Backward(Parameters<T> g)
    {
        var (d, dh, b, width) = (_p.Shape.Embedding, _p.Shape.Hidden, _streams, _width);
        var last = _blockStart + _blockSteps - 1;
        _visits = (int)(last - Math.Max(0, _blockStart - _bptt)) + 1;
        _team.Run(_backwardSlice);
        _output.EndDirectUpdate();

        // Stack the visits where some delta is non-zero, latest first. (A gated cell can carry dJ/dh(t−1) past a
        // visit whose deltas are all zero, so the walk is not cut at the first such visit.)
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
                continue;
            }

            if (stacked != v)
            {
                _deltas.AsSpan(v * b * width, b * width).CopyTo(_deltas.AsSpan(stacked * b * width));
                _previousStack.AsSpan(v * b * dh, b * dh).CopyTo(_previousStack.AsSpan(stacked * b * dh));
                if (!_noProjection)
                {
                    _embeddedStack.AsSpan(v * b * d, b * d).CopyTo(_embeddedStack.AsSpan(stacked * b * d));
                }

                _inputStack.AsSpan(v * b, b).CopyTo(_inputStack.AsSpan(stacked * b));
                if (Dropout is not null)
                {
                    _maskStack.AsSpan(v * b * d, b * d).CopyTo(_maskStack.AsSpan(stacked * b * d));
                }

                if (_cell == CellKind.Gru)
                {
                    _resetStack.AsSpan(v * b * dh, b * dh).CopyTo(_resetStack.AsSpan(stacked * b * dh));
                }
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

    // Member's part of the way back: its slice of the streams, and its part of D's update if one is pending.
    private void BackwardSlice(int member)
    {
        WalkBack(member);
        if (_output.DirectUpdatePending)
        {
            // The output layer's update of D, left pending: by the members without a slice when there are any (they
            // would wait for the walk), else by every member after its walk.
            var idle = _team.Size - _slices;
            if (idle == 0)
            {
                _output.UpdateDirectPart(member, _team.Size);
            }
            else if (member >= _slices)
            {
                _output.UpdateDirectPart(member - _slices, idle);
            }
        }
    }

    // Member's slice of the streams back through time: the deltas of every visit at their slab, with h(t−1),
    // e(t) and x(t) (and the GRU's r ⊙ h(t−1)) beside them. A slice whose carry has died before the block fills its
    // remaining slabs without arithmetic: its deltas are zero there.
    private void WalkBack(int member)
    {
        var (d, dh, b, width) = (_p.Shape.Embedding, _p.Shape.Hidden, _streams, _width);
        var (first, end) = Gemm.SplitRows(b, _slices, member);
        var count = end - first;
        var live = _live.AsSpan(member * _window, _visits);
        live.Clear();
        if (count == 0)
        {
            return;
        }

        if (Dropout is not null)
        {
            DropOutputGradient(first, count);
        }

        var carry = _carry.AsSpan(first * dh, count * dh);
        carry.Clear();
        var memoryCarry = _cell == CellKind.Lstm ? _memoryCarry.AsSpan(first * dh, count * dh) : [];
        memoryCarry.Clear();
        var last = _blockStart + _blockSteps - 1;
        var dead = false;
        for (var v = 0; v < _visits; v++)
        {
            var t = last - v;
            var slot = (int)(t % _window);
            var inputs = _inputs[slot].AsSpan(first, count);
            var hidden = _hidden[slot].AsSpan(first * dh, count * dh);
            var delta = _deltas.AsSpan(((v * b) + first) * width, count * width);
            var any = false;
            if (dead)
            {
                delta.Clear();
            }
            else if (_cell != CellKind.Sigmoid)
            {
                any = _cell == CellKind.Gru ? GruBackward(t, slot, first, count, carry, delta) : LstmBackward(t, slot, first, count, carry, delta);
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

                    any |= Gates.SigmoidDelta(carry.Slice(s * dh, dh), OutputGradient(t, first + s), hidden.Slice(s * dh, dh), row, Clip);
                }
            }

            live[v] = any;
            _previous[slot].AsSpan(first * dh, count * dh).CopyTo(_previousStack.AsSpan(((v * b) + first) * dh));
            inputs.CopyTo(_inputStack.AsSpan((v * b) + first, count));
            if (Dropout is not null)
            {
                _inputMask[slot].AsSpan(first * d, count * d).CopyTo(_maskStack.AsSpan(((v * b) + first) * d, count * d));
            }

            if (!_noProjection)
            {
                // e(t) for dJ/dI (none without a projection).
                var embedded = _embeddedStack.AsSpan(((v * b) + first) * d, count * d);
                Gather(inputs, embedded);
                if (Dropout is not null)
                {
                    TensorPrimitives.Multiply(embedded, _maskStack.AsSpan(((v * b) + first) * d, count * d), embedded);
                }
            }

            if (_cell == CellKind.Gru)
            {
                _reset[slot].AsSpan(first * dh, count * dh).CopyTo(_resetStack.AsSpan(((v * b) + first) * dh));
            }

            if (_cell == CellKind.Sigmoid)
            {
                if (!any)
                {
                    dead |= t < _blockStart;
                    carry.Clear();
                    continue;
                }

                // dJ/dh(t−1) = delta Hᵀ.
                if (Dropped.HasFlag(GradientTerms.Recurrent))
                {
                    carry.Clear();
                }
                else
                {
                    Gemm.Multiply<T>(delta, dh, false, _recurrentTransposed, dh, false, carry, dh, count, dh, dh, false);
                }
            }

            // Nothing flows into a sentence start, where h(t−1) = 0 (and c(t−1) = 0) is a constant.
            for (var s = 0; s < count; s++)
            {
                if (inputs[s] < 0 || _starts[slot][first + s])
                {
                    carry.Slice(s * dh, dh).Clear();
                    if (!memoryCarry.IsEmpty)
                    {
                        memoryCarry.Slice(s * dh, dh).Clear();
                    }
                }
            }

            if (!any && !carry.ContainsAnyExcept(T.Zero) && !memoryCarry.ContainsAnyExcept(T.Zero))
            {
                dead |= t < _blockStart;
            }
        }
    }

    // Member's rows of the weight gradients over all stacked steps (dJ/dH += h(t−1)ᵀ delta, but for the GRU's candidate
    // (r ⊙ h(t−1))ᵀ δn; dJ/dI += e(t)ᵀ delta; dJ/db1 += delta) and its rows of delta Iᵀ, the embeddings' gradient.
    private void GradientSlice(int member)
    {
        var (d, dh, width, rows, g) = (_p.Shape.Embedding, _p.Shape.Hidden, _width, _stacked * _streams, _gradients!);
        if (rows == 0)
        {
            return;
        }

        // Rows of dH and dI, so that each member packs only its part of the transposed stacks; every split of a
        // product's rows is Gemm's, which gives each row the bits of one call over all of them.
        var deltas = _deltas.AsSpan(0, rows * width);
        var (from, to) = Gemm.SplitRows(dh, _team.Size, member);
        if (to > from)
        {
            var previousWidth = _cell == CellKind.Gru ? 2 * dh : width;
            Gemm.Multiply<T>(_previousStack.AsSpan(from, ((rows - 1) * dh) + to - from), dh, true, deltas, width, false, g.Recurrent.AsSpan(from * width, (to - from) * width), width, to - from, previousWidth, rows, true);
            if (_cell == CellKind.Gru)
            {
                Gemm.Multiply<T>(_resetStack.AsSpan(from, ((rows - 1) * dh) + to - from), dh, true, deltas[(2 * dh)..], width, false, g.Recurrent.AsSpan((from * width) + (2 * dh), ((to - from - 1) * width) + dh), width, to - from, dh, rows, true);
            }
        }

        (from, to) = Gemm.SplitRows(width, _team.Size, member);
        if (to > from)
        {
            var bias = g.HiddenBias.AsSpan(from, to - from);
            for (var r = 0; r < rows; r++)
            {
                TensorPrimitives.Add(bias, _deltas.AsSpan((r * width) + from, to - from), bias);
            }
        }

        (from, to) = Gemm.SplitRows(d, _team.Size, member);
        if (to > from && !_noProjection)
        {
            Gemm.Multiply<T>(_embeddedStack.AsSpan(from, ((rows - 1) * d) + to - from), d, true, deltas, width, false, g.Input.AsSpan(from * width, (to - from) * width), width, to - from, width, rows, true);
        }

        var (first, end) = Gemm.SplitRows(rows, _team.Size, member);
        if (end > first && (!_noProjection || Dropout is not null))
        {
            // Without a projection dJ/de(t) is delta itself: FinishSlice reads it from _deltas unless dropout masks it here.
            var grads = _embeddingGrads.AsSpan(first * d, (end - first) * d);
            if (_noProjection)
            {
                _deltas.AsSpan(first * width, (end - first) * width).CopyTo(grads);
            }
            else
            {
                Gemm.Multiply<T>(_deltas.AsSpan(first * width, (end - first) * width), width, false, _p.Input, width, true, grads, d, end - first, d, width, false);
            }

            if (Dropout is not null)
            {
                // e(t) = L[x] ⊙ mask, so dJ/dL[x] = (delta Iᵀ) ⊙ mask (delta ⊙ mask without a projection).
                TensorPrimitives.Multiply(grads, _maskStack.AsSpan(first * d, (end - first) * d), grads);
            }
        }
    }

    // Member's part of the block's end: dJ/dL[x(t)] += delta Iᵀ (delta itself without a projection) for the embedding
    // rows it owns (x mod team size), summed in stack order as one thread would; then, with a Step, the step on those rows
    // (at RowRate when it is set) and on the rows of H and I and the part of b1 whose gradient it formed (read where they
    // were written).
    private void FinishSlice(int member)
    {
        var (d, dh, width, rows, g) = (_p.Shape.Embedding, _p.Shape.Hidden, _width, _stacked * _streams, _gradients!);
        var touched = _touched[member];
        var embeddingGrads = _noProjection && Dropout is null ? _deltas : _embeddingGrads;
        var count = 0;
        for (var r = 0; r < rows; r++)
        {
            var x = _inputStack[r];
            if (x < 0 || x % _team.Size != member)
            {
                continue;
            }

            var row = g.Embedding.AsSpan(x * d, d);
            if (!Dropped.HasFlag(GradientTerms.Embedding))
            {
                TensorPrimitives.Add(row, embeddingGrads.AsSpan(r * d, d), row);
            }

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
            StepWeights(_p.Embedding.AsSpan(x * d, d), g.Embedding.AsSpan(x * d, d), RowRate ?? rate, decay);
        }

        var (from, to) = Gemm.SplitRows(dh, _team.Size, member);
        StepWeights(_p.Recurrent.AsSpan(from * width, (to - from) * width), g.Recurrent.AsSpan(from * width, (to - from) * width), rate, decay);
        (from, to) = Gemm.SplitRows(width, _team.Size, member);
        StepWeights(_p.HiddenBias.AsSpan(from, to - from), g.HiddenBias.AsSpan(from, to - from), rate, T.Zero);
        (from, to) = Gemm.SplitRows(_p.Input.Length / width, _team.Size, member);
        StepWeights(_p.Input.AsSpan(from * width, (to - from) * width), g.Input.AsSpan(from * width, (to - from) * width), rate, decay);
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

    // Dropout: the output layer's dJ/d(h(t) ⊙ mask) into dJ/dh(t) for the slice's streams in the block.
    private void DropOutputGradient(int first, int count)
    {
        var dh = _p.Shape.Hidden;
        for (var i = 0; i < _blockSteps; i++)
        {
            var slot = (int)((_blockStart + i) % _window);
            for (var s = first; s < first + count; s++)
            {
                var row = _blockRows[(i * _streams) + s];
                if (row >= 0)
                {
                    var gradient = _blockHiddenGrad.AsSpan(row * dh, dh);
                    TensorPrimitives.Multiply(gradient, _outputMask[slot].AsSpan(s * dh, dh), gradient);
                }
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
}
