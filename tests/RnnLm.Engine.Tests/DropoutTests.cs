using RnnLm.Engine.Model;
using RnnLm.Engine.Numerics;
using RnnLm.Engine.Training;

namespace RnnLm.Engine.Tests;

/// <summary>
/// Dropout's masks: their rate and scale, that they are a function of their counters alone (so of no thread and no
/// block split), that the network's forward pass uses exactly them, and that a trained model scores without them.
/// </summary>
public class DropoutTests
{
    [Theory]
    [InlineData(0.1)]
    [InlineData(0.2)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void AFractionOfUnitsNearTheRateIsDroppedAndTheKeptAreScaledUp(double rate)
    {
        var dropout = new Dropout(rate, seed: 1, epoch: 1);
        var mask = new float[100];
        var (dropped, units) = (0L, 0L);
        for (var step = 0; step < 250; step++)
        {
            for (var stream = 0; stream < 4; stream++)
            {
                foreach (var layer in new[] { Dropout.InputLayer, Dropout.OutputLayer })
                {
                    dropout.Fill<float>(mask, step, stream, layer);
                    dropped += mask.Count(m => m == 0);
                    units += mask.Length;
                    Assert.All(mask, m => Assert.True(m == 0 || m == (float)(1 / (1 - rate)), $"a mask value {m}"));
                }
            }
        }

        // Five standard deviations of the binomial: a fair coin fails this once in millions of runs; the seed is fixed.
        var sigma = Math.Sqrt(rate * (1 - rate) / units);
        Assert.True(Math.Abs(((double)dropped / units) - rate) < 5 * sigma, $"dropped {dropped} of {units} at rate {rate}");
    }

    public static TheoryData<string, int> MaskLengths() => KernelKindData.With([1, 7, 8, 9, 100, 131]);

    [Theory]
    [MemberData(nameof(MaskLengths))]
    public void AMaskOfEveryKernelKindIsThatOfThePlainLoop(string kind, int length)
    {
        foreach (var (rate, step, stream, layer) in new[] { (0.15, 0L, 0, Dropout.InputLayer), (0.5, 12_345L, 6, Dropout.OutputLayer), (0.9, long.MaxValue, int.MaxValue, Dropout.InputLayer) })
        {
            var dropout = new Dropout(rate, seed: 7, epoch: 2);
            var (expected, actual) = (new float[length], new float[length]);
            dropout.FillReference(expected, step, stream, layer);
            dropout.Fill<float>(actual, step, stream, layer, Enum.Parse<KernelKind>(kind));
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void AMaskIsAFunctionOfItsCountersAndEachCounterChangesIt()
    {
        float[] Mask(double rate = 0.5, int seed = 3, int epoch = 2, long step = 1_000_000_007, int stream = 5, int layer = Dropout.InputLayer)
        {
            var mask = new float[256];
            new Dropout(rate, seed, epoch).Fill<float>(mask, step, stream, layer);
            return mask;
        }

        var mask = Mask();
        Assert.Equal(mask, Mask());
        // Two independent masks at rate 1/2 differ in about half their units: far more than 50 of 256.
        foreach (var other in new[] { Mask(seed: 4), Mask(epoch: 3), Mask(step: 1_000_000_008), Mask(stream: 6), Mask(layer: Dropout.OutputLayer), Mask(seed: -3) })
        {
            Assert.True(mask.Zip(other).Count(p => p.First != p.Second) > 50, "a counter that does not change the mask");
        }

        // Neighbouring units are not one mask shifted: the pattern of a mask is not that of its neighbour's.
        Assert.True(mask.Skip(1).Zip(mask).Count(p => p.First != p.Second) > 50);
    }

    [Fact]
    public void RatesOutsideZeroToBelowOneAreRefusedAndRateZeroKeepsEveryUnitAsItIs()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(1, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(-0.1, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(double.NaN, 1, 1));
        var mask = new double[50];
        new Dropout(0, 1, 1).Fill<double>(mask, 3, 1, Dropout.OutputLayer);
        Assert.All(mask, m => Assert.Equal(1.0, m));
    }

    [Theory]
    [InlineData(CellKind.Sigmoid, OutputKind.Full)]
    [InlineData(CellKind.Gru, OutputKind.Classes)]
    [InlineData(CellKind.Lstm, OutputKind.Classes)]
    public void TheForwardPassUsesTheMasksOfItsStepsWhateverTheBlocksAndThreads(CellKind cell, OutputKind output)
    {
        // Forward only, no updates: the loss of the whole pass is then a function of the masks, which the reference rebuilds
        // from (step, stream); blocks of 1, 3 and 7 steps, on one thread and two, must all see the same masks.
        var (shape, classes) = (new ModelShape(7, 5, 4, output, output == OutputKind.Classes ? 3 : 0, cell),
                                output == OutputKind.Classes ? new ClassMap([0, 2, 4], 7) : null);
        var parameters = new Parameters<double>(shape);
        parameters.Initialize(seed: 9, scale: 0.8);
        var dropout = new Dropout(0.4, seed: 2, epoch: 5);
        const int streams = 3;
        var timeline = GradientCheckTests.Timeline.Record(GradientCheckTests.Sentences, streams);
        var expected = GradientCheckTests.Reference.TruncatedLoss(parameters, parameters, classes, timeline, timeline.Steps, 0, timeline.Steps, dropout: dropout);
        var plain = GradientCheckTests.Reference.TruncatedLoss(parameters, parameters, classes, timeline, timeline.Steps, 0, timeline.Steps);
        Assert.True(Math.Abs(expected - plain) > 1e-5 * plain, $"the masks must change the loss far beyond the tolerance below, or this proves nothing: {expected:R} against {plain:R}");
        foreach (var (block, threads) in new[] { (1, 1), (3, 1), (7, 1), (3, 2) })
        {
            var loss = ForwardLoss(parameters, classes, streams, block, threads, dropout);
            Assert.True(Math.Abs(loss - expected) <= 1e-9 * expected, $"blocks of {block} on {threads} threads: loss {loss:R}, reference {expected:R}");
        }

        Assert.Equal(plain, ForwardLoss(parameters, classes, streams, 3, 1, new Dropout(0, seed: 2, epoch: 5)), 1e-9 * plain);
    }

    [Theory]
    [InlineData(CellKind.Sigmoid)]
    [InlineData(CellKind.Lstm)]
    public void AModelTrainedWithDropoutScoresWithoutMasksOrScaling(CellKind cell)
    {
        var valid = TrainerTests.SyntheticCorpus(30, 2);
        var options = TrainerTests.Small(OutputKind.Classes) with { Cell = cell, Dropout = 0.5, MaxEpochs = 2 };
        var model = new Trainer(options).Train(TrainerTests.SyntheticCorpus(200, 1), valid).Model;
        var weights = model.Parameters.Convert<double>();
        var vocabulary = model.Vocabulary;
        var (logProb, tokens) = (0.0, 0);
        foreach (var sentence in valid)
        {
            var state = ReferenceCells.Start(model.Shape);
            var input = vocabulary.StartOfSentence;
            for (var t = 0; t <= sentence.Length; t++)
            {
                state = ReferenceCells.Step(weights, state, input);
                var target = t < sentence.Length ? vocabulary.IdOf(sentence[t]) : vocabulary.EndOfSentence;
                logProb += GradientCheckTests.Reference.LogProb(weights, model.Classes, state.Hidden, target);
                tokens++;
                input = target;
            }
        }

        Assert.Equal(Math.Exp(-logProb / tokens), model.ScoreCorpus([.. valid]).Perplexity, 1e-4);
    }

    private static double ForwardLoss(Parameters<double> parameters, ClassMap? classes, int streams, int block, int threads, Dropout dropout)
    {
        var queue = new Queue<int[]>(GradientCheckTests.Sentences);
        using var team = new WorkTeam(threads);
        var network = new BpttNetwork<double>(parameters, classes, streams, bptt: 2, block, team, 0, _ => queue.Count > 0 ? queue.Dequeue() : null) { Dropout = dropout };
        double loss = 0;
        while (network.RunBlock(null, null, out var logProb, out _))
        {
            loss -= logProb;
        }

        return loss;
    }
}
