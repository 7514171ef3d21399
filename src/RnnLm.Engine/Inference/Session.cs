using System.Numerics.Tensors;
using RnnLm.Engine.Model;
using RnnLm.Engine.Numerics;

namespace RnnLm.Engine.Inference;

/// <summary>
/// Scratch for one call at a time: hidden states, contexts and the output layer's buffers, grown on demand and reused.
/// The running state of <see cref="Follow"/> and <see cref="Advance"/> is a <see cref="RecurrentState"/> (h(t), and the
/// LSTM's c(t)) and the recent words the direct connections read.
/// </summary>
internal sealed class Session
{
    /// <summary>Predictions the scratch holds before it grows: the scorer batches sentences up to about this many.</summary>
    public const int RowsPerBatch = 256;

    private readonly LanguageModel _model;
    private readonly float[] _projectedInput; // [|V|, G·Dh] shared by every session of the model
    private readonly OutputLayer<float> _output;
    private readonly CellKind _cell;
    private readonly int _hiddenWidth;
    private readonly float[] _gates; // [G·Dh] a gated cell's pre-activations, then its gates
    private readonly float[] _reset; // [Dh] GRU: r ⊙ h(t−1)
    private readonly float[] _zeros; // [Dh] h(t−1) and c(t−1) at a sentence start
    private RecurrentState _state; // the running state of Follow and Advance
    private RecurrentState _next;
    private readonly int _contextWidth; // N − 1 with direct connections, else 0
    private readonly RecentWords _recent;
    private float[] _hidden; // [rows, Dh]
    private float[] _memory; // [rows, Dh] LSTM: c(t) of each row; else empty
    private int[] _targets; // [rows]
    private int[] _contexts; // [rows, N − 1]

    public Session(LanguageModel model, float[] projectedInput)
    {
        _model = model;
        _projectedInput = projectedInput;
        _output = new OutputLayer<float>(model.Parameters, model.Classes, WorkTeam.Single);
        (_cell, _hiddenWidth) = (model.Shape.Cell, model.Shape.Hidden);
        _gates = new float[model.Shape.Gates * _hiddenWidth];
        _reset = new float[_cell == CellKind.Gru ? _hiddenWidth : 0];
        _zeros = new float[_hiddenWidth];
        (_state, _next) = (new RecurrentState(model.Shape), new RecurrentState(model.Shape));
        _contextWidth = model.Shape.DirectSize > 0 ? model.Shape.DirectOrder - 1 : 0;
        _recent = new RecentWords(_contextWidth);
        _hidden = new float[RowsPerBatch * _hiddenWidth];
        _memory = new float[_cell == CellKind.Lstm ? RowsPerBatch * _hiddenWidth : 0];
        _targets = new int[RowsPerBatch];
        _contexts = new int[RowsPerBatch * _contextWidth];
    }

    // Log-probabilities of every word and </s> of each sentence, in order, into logProbs.
    public void ScoreSentences(int[][] sentences, Span<float> logProbs)
    {
        var dh = _hiddenWidth;
        var rows = 0;
        foreach (var s in sentences)
        {
            rows += s.Length + 1;
        }

        if (_hidden.Length < rows * dh)
        {
            _hidden = new float[rows * dh];
            _memory = new float[_memory.Length == 0 ? 0 : rows * dh];
            _targets = new int[rows];
            _contexts = new int[rows * _contextWidth];
        }

        var row = 0;
        var vocabulary = _model.Vocabulary;
        var lstm = _cell == CellKind.Lstm;
        foreach (var s in sentences)
        {
            for (var t = 0; t <= s.Length; t++, row++)
            {
                // A sentence's first step starts from the empty state; the memory is the LSTM's alone.
                var previous = t == 0 ? default : _hidden.AsSpan((row - 1) * dh, dh);
                var previousMemory = t == 0 || !lstm ? default : _memory.AsSpan((row - 1) * dh, dh);
                Step(previous, previousMemory, t == 0 ? vocabulary.StartOfSentence : s[t - 1], _hidden.AsSpan(row * dh, dh), lstm ? _memory.AsSpan(row * dh, dh) : default);
                _targets[row] = t < s.Length ? s[t] : vocabulary.EndOfSentence;
                DirectFeatures.Context(s, t, vocabulary.StartOfSentence, _contexts.AsSpan(row * _contextWidth, _contextWidth));
            }
        }

        logProbs[..rows].Clear();
        _output.Run(_hidden, _targets, _contexts, rows, logProbs, null, null);
    }

    /// <summary>Starts a sentence and reads <paramref name="context"/> into the running state.</summary>
    /// <remarks>The running state of prefixes and generation: each further token costs one <see cref="Advance"/>, not a
    /// pass over the whole context.</remarks>
    public void Follow(ReadOnlySpan<int> context)
    {
        Step(default, default, _model.Vocabulary.StartOfSentence, _state.Hidden, _state.Memory);
        _recent.Start(_model.Vocabulary.StartOfSentence);
        foreach (var id in context)
        {
            Advance(id);
        }
    }

    public void Advance(int id)
    {
        Step(_state.Hidden, _state.Memory, id, _next.Hidden, _next.Memory);
        (_state, _next) = (_next, _state);
        _recent.Push(id);
    }

    /// <summary>P(w | the running state) for every vocabulary id w.</summary>
    public void Distribution(Span<float> probabilities) => _output.Distribution(_state.Hidden, _recent.Ids, probabilities);

    // One step of the cell for input x from h(t−1) and, for an LSTM, c(t−1) (both empty at a sentence start, where they
    // are 0): writes h(t) and c(t). The input's part of every gate, L·I + b1 at x, is one row of the projected input.
    private void Step(ReadOnlySpan<float> previous, ReadOnlySpan<float> previousMemory, int input, Span<float> hidden, Span<float> memory)
    {
        var (dh, width) = (_hiddenWidth, _gates.Length);
        var projected = _projectedInput.AsSpan(input * width, width);
        var recurrent = _model.Parameters.Recurrent;
        switch (_cell)
        {
            case CellKind.Gru:
                projected.CopyTo(_gates);
                if (!previous.IsEmpty)
                {
                    Gemm.Multiply(previous, dh, false, recurrent, width, false, _gates, width, 1, 2 * dh, dh, true);
                }

                Gates.GruGates(_gates.AsSpan(0, 2 * dh), previous.IsEmpty ? _zeros : previous, _reset);
                if (!previous.IsEmpty)
                {
                    Gemm.Multiply(_reset, dh, false, recurrent.AsSpan(2 * dh), width, false, _gates.AsSpan(2 * dh), width, 1, dh, dh, true);
                }

                Gates.GruHidden(_gates.AsSpan(2 * dh, dh), _gates.AsSpan(dh, dh), previous.IsEmpty ? _zeros : previous, hidden);
                break;
            case CellKind.Lstm:
                projected.CopyTo(_gates);
                if (!previous.IsEmpty)
                {
                    Gemm.Multiply(previous, dh, false, recurrent, width, false, _gates, width, 1, width, dh, true);
                }

                Gates.Lstm(_gates, previous.IsEmpty ? _zeros : previousMemory, memory, hidden);
                break;
            default:
                projected.CopyTo(hidden);
                if (!previous.IsEmpty)
                {
                    Gemm.Multiply(previous, dh, false, recurrent, dh, false, hidden, dh, 1, dh, dh, true);
                }

                TensorPrimitives.Sigmoid(hidden, hidden);
                break;
        }
    }
}
