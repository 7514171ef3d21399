using RnnLm.Engine.Numerics;

namespace RnnLm.Engine.Tests;

/// <summary>
/// Scoring's softmax at the targets (<see cref="TargetLogProbs"/>) on every kernel kind this machine runs, against its
/// double reference: widths on both sides of the 4-, 8- and 16-lane vectors and their tails, a class layer's 100, a
/// large class and Brown's full vocabulary; and a row's result whatever rows share the call.
/// </summary>
public class TargetLogProbsTests
{
    public static TheoryData<string, int> Widths() =>
        KernelKindData.With(Enumerable.Range(1, 40).Concat([47, 63, 64, 65, 100, 129, 1_000, 14_115]));

    [Theory]
    [MemberData(nameof(Widths))]
    public void TargetLogProbsMatchTheDoubleReference(string kind, int width)
    {
        const int rows = 5;
        var (logits, bias, targets) = Inputs(rows, width, scale: 8, seed: width);
        var fast = new float[rows];
        var expected = new float[rows];
        TargetLogProbs.Compute(logits, bias, targets, fast, KernelKindData.Parse(kind));
        TargetLogProbs.Reference(logits, bias, targets, expected);
        for (var r = 0; r < rows; r++)
        {
            Assert.True(Math.Abs(fast[r] - expected[r]) <= 4e-6 * (1 + Math.Abs(expected[r])), $"row {r}: {fast[r]} vs {expected[r]}");
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void ARowGetsTheSameBitsAloneAsInABatch(string kind, int width)
    {
        const int rows = 7;
        var (logits, bias, targets) = Inputs(rows, width, scale: 3, seed: 100 + width);
        var batch = new float[rows];
        TargetLogProbs.Compute(logits, bias, targets, batch, KernelKindData.Parse(kind));
        for (var r = 0; r < rows; r++)
        {
            var alone = new float[1];
            TargetLogProbs.Compute(logits.AsSpan(r * width, width), bias, targets.AsSpan(r, 1), alone, KernelKindData.Parse(kind));
            Assert.Equal(batch[r], alone[0]);
        }
    }

    [Theory]
    [MemberData(nameof(KernelKindData.Kinds), MemberType = typeof(KernelKindData))]
    public void LogitsOfPlusOrMinusTenThousandGiveFiniteLogProbabilities(string kind)
    {
        const int width = 37;
        var logits = Enumerable.Range(0, width).Select(j => j % 3 == 0 ? 10_000f : -10_000f).ToArray();
        var targets = Enumerable.Range(0, width).ToArray();
        var logProbs = new float[width];
        TargetLogProbs.Compute([.. Enumerable.Repeat(logits, width).SelectMany(row => row)], new float[width], targets, logProbs, KernelKindData.Parse(kind));
        for (var j = 0; j < width; j++)
        {
            // 13 of the 37 share the maximum: each has log(1/13); the rest underflow to a large negative finite value.
            Assert.True(float.IsFinite(logProbs[j]), $"target {j}: {logProbs[j]}");
            Assert.Equal(j % 3 == 0 ? -Math.Log(13) : -20_000 - Math.Log(13), logProbs[j], 1e-2);
        }
    }

    [Fact]
    public void BadShapesAndTargetsAreRefused()
    {
        var logits = new float[12];
        Assert.Throws<ArgumentException>(() => TargetLogProbs.Compute(logits, [], [0], new float[1]));
        Assert.Throws<ArgumentException>(() => TargetLogProbs.Compute(logits, new float[5], [0, 1, 2], new float[3]));
        Assert.Throws<ArgumentException>(() => TargetLogProbs.Compute(logits, new float[4], [0, 1, 2], new float[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => TargetLogProbs.Compute(logits, new float[4], [0, 4], new float[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => TargetLogProbs.Compute(logits, new float[4], [-1], new float[1]));
    }

    private static (float[] Logits, float[] Bias, int[] Targets) Inputs(int rows, int width, float scale, int seed)
    {
        var random = new Random(seed);
        var logits = new float[rows * width];
        for (var i = 0; i < logits.Length; i++)
        {
            logits[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        }

        var bias = Enumerable.Range(0, width).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var targets = Enumerable.Range(0, rows).Select(_ => random.Next(width)).ToArray();
        return (logits, bias, targets);
    }
}
