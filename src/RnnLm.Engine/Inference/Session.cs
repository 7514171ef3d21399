using System.Numerics.Tensors;
using RnnLm.Engine.Model;
using RnnLm.Engine.Numerics;

namespace RnnLm.Engine.Inference;

/// <summary>
/// Scratch for one call at a time: hidden states, contexts and the output layer's buffers, grown on demand and reused.
/// The running state of <see cref="Follow"/> and <see cref="Advance"/> is h(t) (row 0 of the hidden scratch) and the
/// recent words the direct connections read.
/// </summary>
internal sealed class Session
{
    /// <summary>Predictions the scratch holds before it grows: the scorer batches sentences up to about this many.</summary>
    public const int RowsPerBatch = 256;

    private readonly LanguageModel _model;
    private readonly float[] _projectedInput; // [|V|, Dh] shared by every session of the model
    private readonly OutputLayer<float> _output;
    private readonly int _hiddenWidth;
    private readonly int _contextWidth; // N − 1 with direct connections, else 0
    private readonly RecentWords _recent;
    private float[] _hidden; // [rows, Dh]
    private int[] _targets; // [rows]
    private int[] _contexts; // [rows, N − 1]

    public Session(LanguageModel model, float[] projectedInput)
    {
        if (model.Shape.Cell != CellKind.Sigmoid)
        {
            throw new NotSupportedException($"Scoring with a {model.Shape.Cell} cell is not built yet.");
        }

        _model = model;
        _projectedInput = projectedInput;
        _output = new OutputLayer<float>(model.Parameters, model.Classes, WorkTeam.Single);
        _hiddenWidth = model.Shape.Hidden;
        _contextWidth = model.Shape.DirectSize > 0 ? model.Shape.DirectOrder - 1 : 0;
        _recent = new RecentWords(_contextWidth);
        _hidden = new float[RowsPerBatch * _hiddenWidth];
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
            _targets = new int[rows];
            _contexts = new int[rows * _contextWidth];
        }

        var row = 0;
        var vocabulary = _model.Vocabulary;
        foreach (var s in sentences)
        {
            for (var t = 0; t <= s.Length; t++, row++)
            {
                var previous = t == 0 ? default : _hidden.AsSpan((row - 1) * dh, dh);
                Step(previous, t == 0 ? vocabulary.StartOfSentence : s[t - 1], _hidden.AsSpan(row * dh, dh));
                _targets[row] = t < s.Length ? s[t] : vocabulary.EndOfSentence;
                DirectFeatures.Context(s, t, vocabulary.StartOfSentence, _contexts.AsSpan(row * _contextWidth, _contextWidth));
            }
        }

        logProbs[..rows].Clear();
        _output.Run(_hidden, _targets, _contexts, rows, logProbs, null, null);
    }

    /// <summary>Starts a sentence and reads <paramref name="context"/> into the running state.</summary>
    /// <remarks>The running state of prefixes and generation: rows 0 and 1 of the scratch hold h(t) and h(t+1), so each
    /// further token costs one <see cref="Advance"/>, not a pass over the whole context.</remarks>
    public void Follow(ReadOnlySpan<int> context)
    {
        Step(default, _model.Vocabulary.StartOfSentence, _hidden.AsSpan(0, _hiddenWidth));
        _recent.Start(_model.Vocabulary.StartOfSentence);
        foreach (var id in context)
        {
            Advance(id);
        }
    }

    public void Advance(int id)
    {
        var dh = _hiddenWidth;
        Step(_hidden.AsSpan(0, dh), id, _hidden.AsSpan(dh, dh));
        _hidden.AsSpan(dh, dh).CopyTo(_hidden.AsSpan(0, dh));
        _recent.Push(id);
    }

    /// <summary>P(w | the running state) for every vocabulary id w.</summary>
    public void Distribution(Span<float> probabilities) => _output.Distribution(_hidden.AsSpan(0, _hiddenWidth), _recent.Ids, probabilities);

    // h = sigmoid(h(t−1)H + (L·I + b1)[x]); an empty previous state means h(t−1) = 0.
    private void Step(ReadOnlySpan<float> previous, int input, Span<float> hidden)
    {
        var dh = _hiddenWidth;
        _projectedInput.AsSpan(input * dh, dh).CopyTo(hidden);
        if (!previous.IsEmpty)
        {
            Gemm.Multiply(previous, dh, false, _model.Parameters.Recurrent, dh, false, hidden, dh, 1, dh, dh, true);
        }

        TensorPrimitives.Sigmoid(hidden, hidden);
    }
}
