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

    // Entries of the direct connections' table: few enough that features collide, within and across the two parts.
    private const int DirectEntries = 23;

    // (output, bptt, block size, streams, direct order): the three outputs, bptt 1 and 3, blocks of 1 to 3 steps, one stream
    // and several, without direct connections (order 0) and with them (order 1: the context-free feature alone; 3).
    private static readonly (OutputKind Output, int Bptt, int Block, int Streams, int DirectOrder)[] Settings =
    [
        (OutputKind.Full, 1, 1, 1, 0),
        (OutputKind.Full, 3, 1, 1, 0),
        (OutputKind.Full, 3, 2, 2, 0),
        (OutputKind.Full, 1, 3, 2, 0),
        (OutputKind.Classes, 1, 1, 1, 0),
        (OutputKind.Classes, 3, 1, 1, 0),
        (OutputKind.Classes, 3, 2, 2, 0),
        (OutputKind.Full, 1, 1, 1, 1),
        (OutputKind.Full, 3, 2, 2, 3),
        (OutputKind.Full, 1, 3, 3, 3),
        (OutputKind.Classes, 1, 1, 1, 3),
        (OutputKind.Classes, 3, 1, 1, 1),
        (OutputKind.Classes, 3, 2, 2, 3),
        (OutputKind.Classes, 1, 3, 3, 1),
        (OutputKind.Tree, 1, 1, 1, 0),
        (OutputKind.Tree, 3, 1, 1, 0),
        (OutputKind.Tree, 3, 2, 2, 0),
        (OutputKind.Tree, 1, 3, 3, 0),
    ];

    // The tree of a tree output over the test vocabulary: uneven counts, so that paths are of several lengths (2 to 4).
    internal static readonly WordTree TestTree = WordTree.FromCounts([6, 9, 4, 2, 7, 1, 3]);

    private static WordTree? TreeOf(ModelShape shape) => shape.Output == OutputKind.Tree ? TestTree : null;

    public static TheoryData<CellKind, OutputKind, int, int, int, int> EveryCellWithEverySetting() => EveryCellWith(Settings);

    // Every cell with each of the settings given: the cases of a gradient-check theory.
    private static TheoryData<CellKind, OutputKind, int, int, int, int> EveryCellWith(params (OutputKind Output, int Bptt, int Block, int Streams, int DirectOrder)[] settings)
    {
        var data = new TheoryData<CellKind, OutputKind, int, int, int, int>();
        foreach (var cell in Enum.GetValues<CellKind>())
        {
            foreach (var (output, bptt, block, streams, directOrder) in settings)
            {
                data.Add(cell, output, bptt, block, streams, directOrder);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryCellWithEverySetting))]
    public void EveryParameterGradientMatchesCentralDifferences(CellKind cell, OutputKind output, int bptt, int block, int streams, int directOrder)
    {
        AssertEveryGradientPasses(GradientCheck.Prepare(cell, output, bptt, block, streams, directOrder), bptt, block);
    }

    public static TheoryData<CellKind, OutputKind, int, int, int, int> EveryCellTied() => EveryCellWith(Settings[2], Settings[3], Settings[6], Settings[9], Settings[13]);

    [Theory]
    [MemberData(nameof(EveryCellTied))]
    public void WithTiedEmbeddingsTheSharedMatrixGetsBothGradients(CellKind cell, OutputKind output, int bptt, int block, int streams, int directOrder)
    {
        var check = GradientCheck.Prepare(cell, output, bptt, block, streams, directOrder, tied: true);
        AssertEveryGradientPasses(check, bptt, block);
        // The shared matrix's gradient is the embedding's and the output's: without the embedding's part it must fail.
        Assert.True(check.Errors(GradientTerms.Embedding).Where(e => e.Name == "L").Max(e => e.Error) > 1e-3, "the embedding's part is lost unnoticed");
    }

    [Theory]
    [InlineData(CellKind.Sigmoid, OutputKind.Full, 0)]
    [InlineData(CellKind.Sigmoid, OutputKind.Classes, 0)]
    [InlineData(CellKind.Gru, OutputKind.Classes, 0)]
    [InlineData(CellKind.Lstm, OutputKind.Classes, 0)]
    [InlineData(CellKind.Sigmoid, OutputKind.Full, 3)]
    [InlineData(CellKind.Sigmoid, OutputKind.Classes, 3)]
    [InlineData(CellKind.Lstm, OutputKind.Full, 3)]
    [InlineData(CellKind.Sigmoid, OutputKind.Tree, 0)]
    [InlineData(CellKind.Lstm, OutputKind.Tree, 0)]
    public void EveryParameterHasAGradientLargeEnoughThatLosingItFailsTheCheck(CellKind cell, OutputKind output, int directOrder)
    {
        var (parameters, classes) = Model(cell, output, directOrder, seed: 7);
        var timeline = Timeline.Record(Sentences, 1);
        var numeric = NumericGradient(parameters, classes, timeline, bptt: 3, from: 4, to: 6);
        foreach (var (name, values) in numeric.Tensors().Where(t => t.Values.Length > 0))
        {
            // A dropped term leaves the analytic side at zero: relative error 1, far above the 1e-6 threshold.
            Assert.True(Norm(values) > 1e-3, $"{name}: numerical gradient is too small to make the check meaningful");
            Assert.Equal(1.0, RelativeError(new double[values.Length], values));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void DroppingEitherPartOfTheDirectConnectionsGradientFailsTheCheck(int directOrder)
    {
        // D's gradient is the class part's plus the word part's; the loss with one part's weights left out has exactly the
        // other part's gradient, which must be far from the whole (1e-6 is the check's threshold).
        var (parameters, classes) = Model(CellKind.Sigmoid, OutputKind.Classes, directOrder, seed: 7);
        var timeline = Timeline.Record(Sentences, 2);
        var both = NumericGradient(parameters, classes, timeline, bptt: 1, from: 4, to: 6).Direct;
        foreach (var parts in new[] { DirectParts.Classes, DirectParts.Words })
        {
            var one = NumericGradient(parameters, classes, timeline, bptt: 1, from: 4, to: 6, parts).Direct;
            Assert.True(Norm(one) > 1e-3, $"{parts}: the part alone has no gradient");
            Assert.True(RelativeError(one, both) > 1e-3, $"{parts}: the part alone is too close to the whole ({RelativeError(one, both):E2})");
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
    [InlineData(CellKind.Sigmoid, OutputKind.Full, 0)]
    [InlineData(CellKind.Sigmoid, OutputKind.Classes, 0)]
    [InlineData(CellKind.Gru, OutputKind.Full, 0)]
    [InlineData(CellKind.Lstm, OutputKind.Classes, 0)]
    [InlineData(CellKind.Sigmoid, OutputKind.Full, 3)]
    [InlineData(CellKind.Sigmoid, OutputKind.Classes, 3)]
    [InlineData(CellKind.Gru, OutputKind.Classes, 3)]
    [InlineData(CellKind.Sigmoid, OutputKind.Tree, 0)]
    [InlineData(CellKind.Gru, OutputKind.Tree, 0)]
    [InlineData(CellKind.Sigmoid, OutputKind.Classes, 0, true)] // without a projection
    [InlineData(CellKind.Gru, OutputKind.Tree, 0, true)]
    [InlineData(CellKind.Lstm, OutputKind.Full, 3, true)]
    public void TwoThreadsComputeTheSameGradientBitsAsOne(CellKind cell, OutputKind output, int directOrder, bool noProjection = false)
    {
        var (parameters, classes) = Model(cell, output, directOrder, seed: 5, noProjection: noProjection);
        var one = AnalyticGradient(parameters, classes, 3, 2, 4, 1, threads: 1);
        var two = AnalyticGradient(parameters, classes, 3, 2, 4, 1, threads: 2);
        foreach (var ((name, a), (_, b)) in one.Tensors().Zip(two.Tensors()))
        {
            Assert.True(a.AsSpan().SequenceEqual(b), name);
        }
    }

    // The test model: |V| = 7, d = 5 (4 when tied, G·4 without a projection), Dh = 4, three classes for a class-factorized output (TestTree for a tree),
    // direct connections of the order given (0: none), random weights, biases and direct weights.
    internal static (Parameters<double> Parameters, ClassMap? Classes) Model(CellKind cell, OutputKind output, int directOrder, int seed, bool tied = false, bool noProjection = false)
    {
        // Tied embeddings need d = Dh; without a projection d = G·Dh.
        var shape = new ModelShape(Vocabulary, noProjection ? ModelShape.GatesOf(cell) * 4 : tied ? 4 : 5, 4, output, output == OutputKind.Classes ? 3 : 0, cell,
            DirectSize: directOrder > 0 ? DirectEntries : 0, DirectOrder: directOrder, Tied: tied, NoProjection: noProjection);
        var classes = output == OutputKind.Classes ? new ClassMap([0, 2, 4], Vocabulary) : null;
        var parameters = new Parameters<double>(shape);
        parameters.Initialize(seed, scale: 0.8);
        var random = new Random(seed + 4);
        foreach (var (name, values) in parameters.Tensors())
        {
            if (name.StartsWith('b') || name == "D")
            {
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = random.NextDouble() - 0.5;
                }
            }
        }

        return (parameters, classes);
    }

    private static Parameters<double> AnalyticGradient(Parameters<double> parameters, ClassMap? classes, int streams, int bptt, int block, int checkedBlock,
                                                       int threads = 1, GradientTerms dropped = GradientTerms.None, Dropout? dropout = null)
    {
        var queue = new Queue<int[]>(Sentences);
        using var team = new WorkTeam(threads);
        var network = new BpttNetwork<double>(parameters, classes, streams, bptt, block, team, EndOfSentence, _ => queue.Count > 0 ? queue.Dequeue() : null, TreeOf(parameters.Shape))
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

    private static Parameters<double> NumericGradient(Parameters<double> parameters, ClassMap? classes, Timeline timeline, int bptt, int from, int to,
                                                      DirectParts parts = DirectParts.Both, Dropout? dropout = null)
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
                var plus = Reference.TruncatedLoss(probe, frozen, classes, timeline, bptt, from, to, parts, dropout);
                values[i] = original - step;
                var minus = Reference.TruncatedLoss(probe, frozen, classes, timeline, bptt, from, to, parts, dropout);
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

    /// <summary>Which of the direct connections' weights the reference adds: a part left out has no weights at all.</summary>
    [Flags]
    internal enum DirectParts
    {
        Classes = 1,
        Words = 2,
        Both = Classes | Words,
    }

    /// <summary>
    /// Which sentence step each stream takes at each global step, as the network schedules them, with the target's
    /// context: the words before it, the most recent first, then &lt;s&gt; (id 0), then −1.
    /// </summary>
    internal sealed record Timeline(int Steps, (int Input, int Target, bool Start, int[] Context)?[][] Events)
    {
        public static Timeline Record(int[][] sentences, int streams)
        {
            var queue = new Queue<int[]>(sentences);
            var current = new int[streams][];
            var positions = new int[streams];
            var events = new List<(int, int, bool, int[])?[]>();
            for (var b = 0; b < streams; b++)
            {
                current[b] = [];
            }

            while (true)
            {
                var step = new (int, int, bool, int[])?[streams];
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
                    step[b] = (p == 0 ? EndOfSentence : current[b][p - 1], current[b][p], p == 0, Reference.Context(current[b], p, EndOfSentence));
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
                                           DirectParts parts = DirectParts.Both, Dropout? dropout = null)
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
                        loss -= LogProb(p, classes, dropout is null ? state.Hidden : [.. state.Hidden.Zip(outputMask, (h, m) => h * m)], e.Target, e.Context, parts, TreeOf(p.Shape));
                    }
                }
            }

            return loss;
        }

        /// <summary>h(t) of a sigmoid cell from h(t−1): <see cref="ReferenceCells.Step"/> without the memory.</summary>
        public static double[] Step(Parameters<double> p, double[] previous, int input) =>
            ReferenceCells.Step(p, new ReferenceCells.State(previous, new double[previous.Length]), input).Hidden;

        /// <summary>
        /// The context of the prediction at <paramref name="position"/>, as docs/model.md defines it: the words before it, the
        /// latest first, then &lt;s&gt;, then −1 (as many as the highest order needs).
        /// </summary>
        public static int[] Context(IReadOnlyList<int> sentence, int position, int start)
        {
            var context = new int[ModelShape.MaxDirectOrder - 1];
            for (var j = 0; j < context.Length; j++)
            {
                var at = position - 1 - j;
                context[j] = at >= 0 ? sentence[at] : at == -1 ? start : -1;
            }

            return context;
        }

        /// <summary>
        /// log P(target | h, context): the logit of an output is its bias, h · its weights, and the weight of each direct feature;
        /// for a tree output (whose <paramref name="tree"/> must be given), the sum of log σ(±logit) over the target's path.
        /// </summary>
        public static double LogProb(Parameters<double> p, ClassMap? classes, double[] h, int target, int[]? context = null, DirectParts parts = DirectParts.Both,
                                     WordTree? tree = null)
        {
            var (dh, size) = (p.Shape.Hidden, p.Shape.DirectSize);
            var keys = new ulong[Math.Max(1, p.Shape.DirectOrder)];
            keys = size > 0 ? keys[..DirectFeatures.Keys((context ?? throw new ArgumentNullException(nameof(context))).AsSpan(0, p.Shape.DirectOrder - 1), keys)] : [];
            double Logit(double[] weights, double[] bias, int row)
            {
                var z = bias[row];
                for (var i = 0; i < dh; i++)
                {
                    z += h[i] * weights[(row * dh) + i];
                }

                return z;
            }

            // The direct weights of class c, or of word w (offset w − first in its class cls; one class for a full softmax).
            double ClassWeights(int c) => parts.HasFlag(DirectParts.Classes) ? keys.Sum(key => p.Direct[DirectFeatures.ClassIndex(key, c, size)]) : 0;
            double WordWeights(int cls, int first, int w) => parts.HasFlag(DirectParts.Words) ? keys.Sum(key => p.Direct[DirectFeatures.WordIndex(key, cls, w - first, size)]) : 0;

            double LogSoftmax(Func<int, double> logit, int first, int count, int chosen)
            {
                var logits = Enumerable.Range(first, count).Select(logit).ToArray();
                var max = logits.Max();
                return logits[chosen - first] - max - Math.Log(logits.Sum(z => Math.Exp(z - max)));
            }

            if (p.Shape.Output == OutputKind.Tree)
            {
                var (path, branches) = ((tree ?? throw new ArgumentNullException(nameof(tree))).Path(target).ToArray(), tree.Branches(target).ToArray());
                return path.Zip(branches, (n, branch) => branch == 0 ? Logit(p.Output, p.OutputBias, n) : -Logit(p.Output, p.OutputBias, n))
                    .Sum(x => x < 0 ? x - Math.Log(1 + Math.Exp(x)) : -Math.Log(1 + Math.Exp(-x)));
            }

            if (classes is null)
            {
                return LogSoftmax(w => Logit(p.Output, p.OutputBias, w) + WordWeights(0, 0, w), 0, p.Shape.VocabularySize, target);
            }

            var cls = classes.ClassOf(target);
            var start = classes.Start(cls);
            return LogSoftmax(c => Logit(p.ClassOutput, p.ClassBias, c) + ClassWeights(c), 0, classes.ClassCount, cls)
                + LogSoftmax(w => Logit(p.Output, p.OutputBias, w) + WordWeights(cls, start, w), start, classes.Size(cls), target);
        }
    }
}
