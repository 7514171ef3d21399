using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using RnnLm.Engine.Numerics;

namespace RnnLm.Benchmarks;

/// <summary>The output layer's softmax: the Vector&lt;float&gt; kernel and the no-SIMD path against the scalar reference and TensorPrimitives.</summary>
[MemoryDiagnoser]
public class SoftmaxBenchmarks
{
    private float[] _logits = [];
    private float[] _probabilities = [];
    private double[] _reference = [];

    [Params(2_000, 14_114)]
    public int Vocabulary { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _logits = [.. Enumerable.Range(0, Vocabulary).Select(_ => (float)((random.NextDouble() * 20) - 10))];
        _probabilities = new float[Vocabulary];
        _reference = new double[Vocabulary];
    }

    [Benchmark(Baseline = true)]
    public double ScalarReference() => Softmax.ComputeReference(_logits, _reference);

    [Benchmark]
    public float VectorKernel() => Softmax.Compute(_logits, _probabilities);

    [Benchmark]
    public float ScalarPath() => Softmax.Compute(_logits, _probabilities, vectorized: false);

    [Benchmark]
    public float TensorPrimitivesSoftMax()
    {
        TensorPrimitives.SoftMax(_logits, _probabilities);
        return _probabilities[0];
    }
}
