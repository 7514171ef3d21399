using System.Collections.Concurrent;
using System.Numerics.Tensors;
using RnnLm.Engine.Model;
using RnnLm.Engine.Numerics;

namespace RnnLm.Engine.Inference;

/// <summary>
/// The sessions of one model and what they share. A call rents a session and gives it back, so calls on many threads at
/// once take no lock and allocate no scratch once warm.
/// </summary>
internal sealed class SessionPool
{
    private readonly LanguageModel _model;
    private readonly float[] _projectedInput; // [|V|, G·Dh] L·I + b1 (L + b1 without a projection): the input step reduced to one row lookup
    private readonly ConcurrentBag<Session> _idle = [];

    public SessionPool(LanguageModel model)
    {
        _model = model;
        var parameters = model.Parameters;
        var (v, d, width) = (model.Shape.VocabularySize, model.Shape.Embedding, model.Shape.GateWidth);
        _projectedInput = new float[(long)v * width];
        if (model.Shape.NoProjection)
        {
            parameters.Embedding.CopyTo(_projectedInput, 0);
        }
        else
        {
            Gemm.Multiply(parameters.Embedding, d, false, parameters.Input, width, false, _projectedInput, width, v, width, d, false, Environment.ProcessorCount);
        }

        for (var w = 0; w < v; w++)
        {
            var row = _projectedInput.AsSpan(w * width, width);
            TensorPrimitives.Add(row, parameters.HiddenBias, row);
        }
    }

    /// <summary>The output layer of the model.</summary>
    public OutputKind Output => _model.Shape.Output;

    /// <summary>A session for the caller alone until the lease is disposed.</summary>
    public Lease Rent() => new(this, _idle.TryTake(out var session) ? session : new Session(_model, _projectedInput));

    /// <summary>Gives its session back to the pool when disposed.</summary>
    public readonly struct Lease(SessionPool pool, Session session) : IDisposable
    {
        public Session Session { get; } = session;

        public void Dispose() => pool._idle.Add(Session);
    }
}
