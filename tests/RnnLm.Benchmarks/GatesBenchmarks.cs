using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using RnnLm.Engine.Numerics;

namespace RnnLm.Benchmarks;

/// <summary>
/// One row of the gated cells' element-wise math, forward and back (<see cref="Gates"/>), on the production kernel
/// kind, beside the plain references and TensorPrimitives' sigmoid over the same pre-activations.
/// </summary>
public class GatesBenchmarks
{
    private float[] _pre = []; // [4·Dh] pre-activations
    private float[] _gates = []; // [4·Dh]
    private float[] _previous = []; // [Dh]
    private float[] _memory = []; // [Dh]
    private float[] _hidden = []; // [Dh]
    private float[] _carry = []; // [Dh]
    private float[] _memoryCarry = []; // [Dh]
    private float[] _deltas = []; // [4·Dh]

    [Params(100, 200)]
    public int Hidden { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        float[] Values(int n, double scale) => [.. Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() - 0.5) * scale))];
        _pre = Values(4 * Hidden, 8);
        _gates = (float[])_pre.Clone();
        _previous = Values(Hidden, 2);
        _memory = new float[Hidden];
        _hidden = new float[Hidden];
        _carry = Values(Hidden, 2);
        _memoryCarry = Values(Hidden, 2);
        _deltas = new float[4 * Hidden];
        Gates.Lstm<float>(_gates, _previous, _memory, _hidden);
    }

    [Benchmark(Baseline = true)]
    public float TensorPrimitivesSigmoidOverTheLstmsGates()
    {
        TensorPrimitives.Sigmoid(_pre, _deltas);
        return _deltas[0];
    }

    [Benchmark]
    public float LstmForward()
    {
        _pre.CopyTo(_deltas, 0);
        Gates.Lstm<float>(_deltas, _previous, _memory, _hidden);
        return _hidden[0];
    }

    [Benchmark]
    public float LstmForwardReference()
    {
        _pre.CopyTo(_deltas, 0);
        Gates.LstmReference<float>(_deltas, _previous, _memory, _hidden);
        return _hidden[0];
    }

    [Benchmark]
    public bool LstmBackward() => Gates.LstmDelta<float>(_carry, _carry, _memoryCarry, _gates, _memory, _previous, _deltas, 15f);

    [Benchmark]
    public float GruForward()
    {
        _pre.AsSpan(0, 3 * Hidden).CopyTo(_deltas);
        Gates.GruGates<float>(_deltas.AsSpan(0, 2 * Hidden), _previous, _memory);
        Gates.GruHidden<float>(_deltas.AsSpan(2 * Hidden, Hidden), _deltas.AsSpan(Hidden, Hidden), _previous, _hidden);
        return _hidden[0];
    }

    [Benchmark]
    public bool GruBackward() =>
        Gates.GruDelta<float>(_carry, _carry, _gates.AsSpan(0, 3 * Hidden), _previous, _deltas.AsSpan(0, 3 * Hidden), 15f)
        | Gates.GruResetDelta<float>(_carry, _gates.AsSpan(0, 3 * Hidden), _previous, _deltas.AsSpan(0, 3 * Hidden), _memoryCarry, 15f);
}
