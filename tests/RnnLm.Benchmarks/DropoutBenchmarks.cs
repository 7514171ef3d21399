using BenchmarkDotNet.Attributes;
using RnnLm.Engine.Numerics;
using RnnLm.Engine.Training;

namespace RnnLm.Benchmarks;

/// <summary>One stream's dropout mask of a step at hidden 100 (two of them a stream and step in training), per kernel kind.</summary>
public class DropoutBenchmarks
{
    private readonly Dropout _dropout = new(0.15, 3, 1);
    private readonly float[] _mask = new float[100];
    private long _step;

    // Kinds travel as names: the enum is internal to the engine.
    [Params("Scalar", "Avx512")]
    public string Kind { get; set; } = "Scalar";

    [Benchmark]
    public float Mask100()
    {
        _dropout.Fill<float>(_mask, _step++, 5, Dropout.InputLayer, Enum.Parse<KernelKind>(Kind));
        return _mask[7];
    }
}
