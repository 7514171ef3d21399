using RnnLm.Engine.Model;
using RnnLm.Engine.Numerics;
using RnnLm.Engine.Training;

namespace RnnLm.Engine.Tests;

/// <summary>
/// Central-difference checks, in double precision, of every parameter's gradient as the trainer computes it.
/// The numerical side evaluates the truncated objective directly: the block's losses with the hidden state
/// bptt + 1 steps before the block computed from the unperturbed weights.
/// </summary>
public partial class GradientCheckTests
{
    private const int Vocabulary = 7;
    private const int EndOfSentence = 0;

    // Sentences as ids ending in </s> (id 0). Lengths differ so that streams fall out of step.
    internal static readonly int[][] Sentences =
    [
        [3, 1, 4, 1, 5, 0],
        [2, 6, 0],
        [5, 3, 5, 6, 2, 1, 4, 0],
        [1, 0],
        [4, 4, 2, 6, 3, 0],
        [6, 5, 0],
    ];

    // (output, bptt, block size, streams): both outputs, bptt 1 and 3, blocks of 1 to 3 steps, one stream and several.
    private static readonly (OutputKind Output, int Bptt, int Block, int Streams)[] Settings =
    [
        (OutputKind.Full, 1, 1, 1),
        (OutputKind.Full, 3, 1, 1),
        (OutputKind.Full, 3, 2, 2),
        (OutputKind.Full, 1, 3, 2),
        (OutputKind.Classes, 1, 1, 1),
        (OutputKind.Classes, 3, 1, 1),
        (OutputKind.Classes, 3, 2, 2),
    ];

    public static TheoryData<CellKind, OutputKind, int, int, int> EveryCellWithEverySetting()
    {
        var data = new TheoryData<CellKind, OutputKind, int, int, int>();
        foreach (var cell in Enum.GetValues<CellKind>())
        {
            foreach (var (output, bptt, block, streams) in Settings)
            {
                data.Add(cell, output, bptt, block, streams);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryCellWithEverySetting))]
    public void EveryParameterGradientMatchesCentralDifferences(CellKind cell, OutputKind output, int bptt, int block, int streams)
    {
        AssertEveryGradientPasses(GradientCheck.Prepare(cell, output, bptt, block, streams), bptt, block);
    }

    [Theory]
    [InlineData(CellKind.Sigmoid, OutputKind.Full)]
    [InlineData(CellKind.Sigmoid, OutputKind.Classes)]
    [InlineData(CellKind.Gru, OutputKind.Classes)]
    [InlineData(CellKind.Lstm, OutputKind.Classes)]
    public void EveryParameterHasAGradientLargeEnoughThatLosingItFailsTheCheck(CellKind cell, OutputKind output)
    {
        var (shape, classes) = Shape(cell, output);
        var parameters = new Parameters<double>(shape);
        parameters.Initialize(seed: 7, scale: 0.8);
        var timeline = Timeline.Record(Sentences, 1);
        var numeric = NumericGradient(parameters, classes, timeline, bptt: 3, from: 4, to: 6);
        foreach (var (name, values) in numeric.Tensors().Where(t => t.Values.Length > 0))
        {
            // A dropped term leaves the analytic side at zero: relative error 1, far above the 1e-6 threshold.
            Assert.True(Norm(values) > 1e-3, $"{name}: numerical gradient is too small to make the check meaningful");
            Assert.Equal(1.0, RelativeError(new double[values.Length], values));
        }
    }

    [Fact]
    public void TruncationMattersSoTheCheckSeesTheBpttDepth()
    {
        var shape = new ModelShape(Vocabulary, 5, 4, OutputKind.Full, 0);
        var parameters = new Parameters<double>(shape);
        parameters.Initialize(seed: 3, scale: 0.8);
        var timeline = Timeline.Record(Sentences, 1);
        var shallow = NumericGradient(parameters, null, timeline, bptt: 1, from: 4, to: 5);
        var deep = NumericGradient(parameters, null, timeline, bptt: 3, from: 4, to: 5);
        Assert.True(RelativeError(shallow.Recurrent, deep.Recurrent) > 1e-3);
    }

    [Theory]
    [InlineData(CellKind.Sigmoid, OutputKind.Full)]
    [InlineData(CellKind.Sigmoid, OutputKind.Classes)]
    [InlineData(CellKind.Gru, OutputKind.Full)]
    [InlineData(CellKind.Lstm, OutputKind.Classes)]
    public void TwoThreadsComputeTheSameGradientBitsAsOne(CellKind cell, OutputKind output)
    {
        var (shape, classes) = Shape(cell, output);
        var parameters = new Parameters<double>(shape);
        parameters.Initialize(seed: 5, scale: 0.8);
        var one = AnalyticGradient(parameters, classes, 3, 2, 4, 1, threads: 1);
        var two = AnalyticGradient(parameters, classes, 3, 2, 4, 1, threads: 2);
        foreach (var ((name, a), (_, b)) in one.Tensors().Zip(two.Tensors()))
        {
            Assert.True(a.AsSpan().SequenceEqual(b), name);
        }
    }

    // The test model: |V| = 7, d = 5, Dh = 4, and three classes for a class-factorized output.
    private static (ModelShape Shape, ClassMap? Classes) Shape(CellKind cell, OutputKind output) =>
        (new ModelShape(Vocabulary, 5, 4, output, output == OutputKind.Classes ? 3 : 0, cell),
         output == OutputKind.Classes ? new ClassMap([0, 2, 4], Vocabulary) : null);

    private static Parameters<double> AnalyticGradient(Parameters<double> parameters, ClassMap? classes, int streams, int bptt, int block, int checkedBlock,
                                                       int threads = 1, GradientTerms dropped = GradientTerms.None, Dropout? dropout = null)
    {
        var queue = new Queue<int[]>(Sentences);
        using var team = new WorkTeam(threads);
        var network = new BpttNetwork<double>(parameters, classes, streams, bptt, block, team, EndOfSentence, _ => queue.Count > 0 ? queue.Dequeue() : null)
        {
            Dropped = dropped,
            Dropout = dropout,
        };
        var gradient = new Parameters<double>(parameters.Shape);
        for (var i = 0; i < checkedBlock; i++)
        {
            Assert.True(network.RunBlock(null, null, out _, out _));
        }

        Assert.True(network.RunBlock(new OutputSink<double>(gradient, 1.0), gradient, out _, out _));
        return gradient;
    }

    private static Parameters<double> NumericGradient(Parameters<double> parameters, ClassMap? classes, Timeline timeline, int bptt, int from, int to, Dropout? dropout = null)
    {
        const double step = 1e-5;
        var frozen = new Parameters<double>(parameters.Shape);
        parameters.CopyTo(frozen);
        var probe = new Parameters<double>(parameters.Shape);
        parameters.CopyTo(probe);
        var gradient = new Parameters<double>(parameters.Shape);
        foreach (var ((_, values), (_, grad)) in probe.Tensors().Zip(gradient.Tensors()))
        {
            for (var i = 0; i < values.Length; i++)
            {
                var original = values[i];
                values[i] = original + step;
                var plus = Reference.TruncatedLoss(probe, frozen, classes, timeline, bptt, from, to, dropout);
                values[i] = original - step;
                var minus = Reference.TruncatedLoss(probe, frozen, classes, timeline, bptt, from, to, dropout);
                values[i] = original;
                grad[i] = (plus - minus) / (2 * step);
            }
        }

        return gradient;
    }

    private static double RelativeError(double[] analytic, double[] numeric)
    {
        double diff = 0;
        for (var i = 0; i < analytic.Length; i++)
        {
            diff += (analytic[i] - numeric[i]) * (analytic[i] - numeric[i]);
        }

        var scale = Norm(analytic) + Norm(numeric);
        return scale == 0 ? 0 : Math.Sqrt(diff) / scale;
    }

    private static double Norm(double[] values) => Math.Sqrt(values.Sum(v => v * v));

    /// <summary>Which sentence step each stream takes at each global step, as the network schedules them.</summary>
    internal sealed record Timeline(int Steps, (int Input, int Target, bool Start)?[][] Events)
    {
        public static Timeline Record(int[][] sentences, int streams)
        {
            var queue = new Queue<int[]>(sentences);
            var current = new int[streams][];
            var positions = new int[streams];
            var events = new List<(int, int, bool)?[]>();
            for (var b = 0; b < streams; b++)
            {
                current[b] = [];
            }

            while (true)
            {
                var step = new (int, int, bool)?[streams];
                var active = false;
                for (var b = 0; b < streams; b++)
                {
                    if (positions[b] >= current[b].Length)
                    {
                        (current[b], positions[b]) = (queue.Count > 0 ? queue.Dequeue() : [], 0);
                    }

                    if (current[b].Length == 0)
                    {
                        continue;
                    }

                    var p = positions[b]++;
                    step[b] = (p == 0 ? EndOfSentence : current[b][p - 1], current[b][p], p == 0);
                    active = true;
                }

                if (!active)
                {
                    return new Timeline(events.Count, [.. events]);
                }

                events.Add(step);
            }
        }
    }

    /// <summary>A plain, unbatched forward pass in double precision: the definition the trainer must agree with.</summary>
    internal static class Reference
    {
        /// <summary>
        /// The loss of steps [from, to), with the weights before step from − bptt frozen; with a dropout, e(t) and h(t) on its
        /// way to the output are multiplied by the masks the trainer makes for that step and stream.
        /// </summary>
        public static double TruncatedLoss(Parameters<double> p, Parameters<double> frozen, ClassMap? classes, Timeline timeline, int bptt, int from, int to,
                                           Dropout? dropout = null)
        {
            var (inputMask, outputMask) = (new double[p.Shape.Embedding], new double[p.Shape.Hidden]);
            var streams = timeline.Events.Length == 0 ? 0 : timeline.Events[0].Length;
            double loss = 0;
            var cut = from - bptt; // steps before this one use the frozen weights
            for (var b = 0; b < streams; b++)
            {
                var state = ReferenceCells.Start(p.Shape);
                for (var t = 0; t < to; t++)
                {
                    if (timeline.Events[t][b] is not { } e)
                    {
                        continue;
                    }

                    var weights = t < cut ? frozen : p;
                    dropout?.Fill<double>(inputMask, t, b, Dropout.InputLayer);
                    dropout?.Fill<double>(outputMask, t, b, Dropout.OutputLayer);
                    state = ReferenceCells.Step(weights, e.Start ? ReferenceCells.Start(p.Shape) : state, e.Input, dropout is null ? null : inputMask);
                    if (t >= from)
                    {
                        loss -= LogProb(p, classes, dropout is null ? state.Hidden : [.. state.Hidden.Zip(outputMask, (h, m) => h * m)], e.Target);
                    }
                }
            }

            return loss;
        }

        public static double LogProb(Parameters<double> p, ClassMap? classes, double[] h, int target)
        {
            var dh = p.Shape.Hidden;
            double Logit(double[] weights, double[] bias, int row)
            {
                var z = bias[row];
                for (var i = 0; i < dh; i++)
                {
                    z += h[i] * weights[(row * dh) + i];
                }

                return z;
            }

            double LogSoftmax(Func<int, double> logit, int first, int count, int chosen)
            {
                var logits = Enumerable.Range(first, count).Select(logit).ToArray();
                var max = logits.Max();
                return logits[chosen - first] - max - Math.Log(logits.Sum(z => Math.Exp(z - max)));
            }

            if (classes is null)
            {
                return LogSoftmax(w => Logit(p.Output, p.OutputBias, w), 0, p.Shape.VocabularySize, target);
            }

            var cls = classes.ClassOf(target);
            return LogSoftmax(c => Logit(p.ClassOutput, p.ClassBias, c), 0, classes.ClassCount, cls)
                + LogSoftmax(w => Logit(p.Output, p.OutputBias, w), classes.Start(cls), classes.Size(cls), target);
        }
    }
}
