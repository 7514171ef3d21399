using System.Numerics.Tensors;
using RnnLm.Engine.Model;
using RnnLm.Engine.Numerics;

namespace RnnLm.Engine.Inference;

/// <summary>
/// One step of a model's hidden layer for many rows at once: h(t), and an LSTM's memory c(t), from h(t−1), c(t−1) and
/// each row's input word. The rows' recurrent products are one matrix product, and a row's bits do not depend on the
/// other rows (<see cref="Gemm.AddRowProducts(ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, Span{float}, int, int, int, int)"/>,
/// and the element-wise math row by row), so a sentence stepped alone (the running state of a session) and in a batch
/// of sentences scored in lock-step goes through the same states, bit for bit.
/// </summary>
internal sealed class CellSteps
{
    private readonly float[] _projectedInput; // [|V|, G·Dh] L·I + b1, shared by every session of the model
    private readonly float[] _recurrent; // H [Dh, G·Dh]
    private readonly CellKind _cell;
    private readonly int _hiddenWidth;
    private readonly int _width; // G·Dh
    private readonly float[] _zeros; // [Dh] h(0) and c(0)
    private float[] _gates = []; // [rows, G·Dh] a gated cell's pre-activations, then its gates
    private float[] _reset = []; // [rows, Dh] GRU: r ⊙ h(t−1)

    public CellSteps(ModelShape shape, float[] projectedInput, float[] recurrent)
    {
        (_cell, _hiddenWidth, _width) = (shape.Cell, shape.Hidden, shape.GateWidth);
        (_projectedInput, _recurrent) = (projectedInput, recurrent);
        _zeros = new float[_hiddenWidth];
    }

    /// <summary>
    /// Steps <paramref name="rows"/> rows: row r reads word <paramref name="inputs"/>[r] and writes its h(t) into
    /// <paramref name="hidden"/> ([rows, Dh]) and, for an LSTM, its c(t) into <paramref name="memory"/> ([rows, Dh]).
    /// An empty <paramref name="previous"/> starts every row from h(0) = 0 (and c(0) = 0); otherwise it holds each row's
    /// h(t−1) and <paramref name="previousMemory"/> an LSTM's c(t−1), [rows, Dh] each.
    /// </summary>
    public void Step(int rows, ReadOnlySpan<int> inputs, ReadOnlySpan<float> previous, ReadOnlySpan<float> previousMemory, Span<float> hidden, Span<float> memory)
    {
        var (dh, width) = (_hiddenWidth, _width);
        var start = previous.IsEmpty;
        if (_cell == CellKind.Sigmoid)
        {
            Project(rows, inputs, hidden);
            if (!start)
            {
                Gemm.AddRowProducts(previous, dh, _recurrent, dh, hidden, dh, rows, dh, dh);
            }

            // Row by row, as the running state of a session steps: one call over many rows could round its tail alike,
            // but nothing promises it.
            for (var r = 0; r < rows; r++)
            {
                var row = hidden.Slice(r * dh, dh);
                TensorPrimitives.Sigmoid(row, row);
            }

            return;
        }

        var gates = Scratch.Grow(ref _gates, rows * width);
        Project(rows, inputs, gates);
        if (_cell == CellKind.Gru)
        {
            var reset = Scratch.Grow(ref _reset, rows * dh);
            if (!start)
            {
                Gemm.AddRowProducts(previous, dh, _recurrent, width, gates, width, rows, 2 * dh, dh);
            }

            for (var r = 0; r < rows; r++)
            {
                Gates.GruGates(gates.Slice(r * width, 2 * dh), start ? _zeros : previous.Slice(r * dh, dh), reset.Slice(r * dh, dh));
            }

            if (!start)
            {
                Gemm.AddRowProducts(reset, dh, _recurrent.AsSpan(2 * dh), width, gates[(2 * dh)..], width, rows, dh, dh);
            }

            for (var r = 0; r < rows; r++)
            {
                var row = gates.Slice(r * width, width);
                Gates.GruHidden(row.Slice(2 * dh, dh), row.Slice(dh, dh), start ? _zeros : previous.Slice(r * dh, dh), hidden.Slice(r * dh, dh));
            }

            return;
        }

        if (!start)
        {
            Gemm.AddRowProducts(previous, dh, _recurrent, width, gates, width, rows, width, dh);
        }

        for (var r = 0; r < rows; r++)
        {
            Gates.Lstm(gates.Slice(r * width, width), start ? _zeros : previousMemory.Slice(r * dh, dh), memory.Slice(r * dh, dh), hidden.Slice(r * dh, dh));
        }
    }

    // The input's part of every row's pre-activations: one row of the projected input each.
    private void Project(int rows, ReadOnlySpan<int> inputs, Span<float> destination)
    {
        var width = _width;
        for (var r = 0; r < rows; r++)
        {
            _projectedInput.AsSpan(inputs[r] * width, width).CopyTo(destination.Slice(r * width, width));
        }
    }
}
