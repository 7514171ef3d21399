using BenchmarkDotNet.Attributes;
using RnnLm.Engine.Numerics;

namespace RnnLm.Benchmarks;

/// <summary>
/// Scoring's softmax at the targets over a batch of rows: the kernel on this machine's default kind and on the scalar
/// kind, against the path it replaced (bias added in place, then <see cref="Softmax.LogSumExp(ReadOnlySpan{float})"/>).
/// Widths: a class layer's 100 classes, and a class of 441 words.
/// </summary>
public class TargetLogProbsBenchmarks
{
    private const int Rows = 2_048;
    private float[] _logits = [];
    private float[] _work = [];
    private float[] _bias = [];
    private int[] _targets = [];
    private float[] _logProbs = [];

    [Params(100, 441)]
    public int Width { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _logits = [.. Enumerable.Range(0, Rows * Width).Select(_ => (float)((random.NextDouble() * 16) - 8))];
        _work = new float[_logits.Length];
        _bias = [.. Enumerable.Range(0, Width).Select(_ => (float)(random.NextDouble() - 0.5))];
        _targets = [.. Enumerable.Range(0, Rows).Select(_ => random.Next(Width))];
        _logProbs = new float[Rows];
    }

    [Benchmark(Baseline = true)]
    public float BiasThenLogSumExp()
    {
        _logits.CopyTo(_work, 0);
        for (var r = 0; r < Rows; r++)
        {
            var row = _work.AsSpan(r * Width, Width);
            System.Numerics.Tensors.TensorPrimitives.Add(row, _bias, row);
            _logProbs[r] = row[_targets[r]] - Softmax.LogSumExp(row);
        }

        return _logProbs[0];
    }

    [Benchmark]
    public float Kernel()
    {
        TargetLogProbs.Compute(_logits, _bias, _targets, _logProbs);
        return _logProbs[0];
    }

    [Benchmark]
    public float ScalarKind()
    {
        TargetLogProbs.Compute(_logits, _bias, _targets, _logProbs, KernelKind.Scalar);
        return _logProbs[0];
    }
}
