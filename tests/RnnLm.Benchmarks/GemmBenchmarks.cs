using BenchmarkDotNet.Attributes;
using RnnLm.Engine.Numerics;

namespace RnnLm.Benchmarks;

/// <summary>
/// The three output-layer products of a training step at vocabulary size N = 14,115:
/// logits C[M, N] = H[M, K] · Uᵀ (U stored [N, K]), back-prop C[M, K] = G[M, N] · U[N, K], and the
/// weight gradient C[N, K] += Gᵀ · H. Multiply-adds per call = M · N · K. Each on every kernel kind this
/// machine runs (the kind's name: BenchmarkDotNet's generated code cannot name the engine's internal enum).
/// </summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    public enum Form
    {
        LogitsNT,
        HiddenGradNN,
        WeightGradTNAccumulate,
    }

    private const int N = 14115;

    private float[] _h = [];
    private float[] _u = [];
    private float[] _g = [];
    private float[] _out = [];

    [Params(Form.LogitsNT, Form.HiddenGradNN, Form.WeightGradTNAccumulate)]
    public Form Shape { get; set; }

    [Params(16, 160)]
    public int M { get; set; }

    [Params(100, 256)]
    public int K { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [ParamsSource(nameof(Kinds))]
    public string Kind { get; set; } = KernelKinds.Default.ToString();

    public static IEnumerable<string> Kinds => KernelKinds.Supported.Select(kind => kind.ToString());

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _h = Fill(random, M * K);     // [M, K] hidden states
        _u = Fill(random, N * K);     // [N, K] output weights
        _g = Fill(random, M * N);     // [M, N] output gradients
        _out = new float[M * N + N * K]; // big enough for [M, N], [M, K] and [N, K]
    }

    [Benchmark]
    public void Multiply()
    {
        var kind = Enum.Parse<KernelKind>(Kind);
        switch (Shape)
        {
            case Form.LogitsNT:
                Gemm.Multiply(_h, K, false, _u, K, true, _out, N, M, N, K, false, Threads, kind);
                break;
            case Form.HiddenGradNN:
                Gemm.Multiply(_g, N, false, _u, K, false, _out, K, M, K, N, false, Threads, kind);
                break;
            default:
                Gemm.Multiply(_g, N, true, _h, K, false, _out, K, N, K, M, true, Threads, kind);
                break;
        }
    }

    private static float[] Fill(Random random, int length)
    {
        var x = new float[length];
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return x;
    }
}
