using BenchmarkDotNet.Attributes;
using RnnLm.Engine.Numerics;

namespace RnnLm.Benchmarks;

/// <summary>
/// The class word part's dot products (<see cref="RowProducts.Dots{T}(ReadOnlySpan{T}, int, ReadOnlySpan{T}, int, int, Span{T})"/>)
/// at width 100: a group of a batch's rows against a class of frequent words (32) and against a class of rare ones (2,000),
/// whose rows of U outgrow L1 and L2.
/// </summary>
public class RowProductsBenchmarks
{
    private const int Width = 100;
    private float[] _hidden = [];
    private float[] _weights = [];
    private float[] _dots = [];

    [Params(20)]
    public int Rows { get; set; }

    [Params(32, 2_000)]
    public int ClassSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _hidden = [.. Enumerable.Range(0, Rows * Width).Select(_ => (float)random.NextDouble())];
        _weights = [.. Enumerable.Range(0, ClassSize * Width).Select(_ => (float)(random.NextDouble() - 0.5))];
        _dots = new float[Rows * ClassSize];
    }

    [Benchmark]
    public float Dots()
    {
        RowProducts.Dots<float>(_hidden, Rows, _weights, ClassSize, Width, _dots);
        return _dots[0];
    }
}
