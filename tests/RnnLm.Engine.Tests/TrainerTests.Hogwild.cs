using RnnLm.Engine.Data;
using RnnLm.Engine.IO;
using RnnLm.Engine.Model;
using RnnLm.Engine.Training;

namespace RnnLm.Engine.Tests;

// Hogwild training: with one thread it is the deterministic path, bit for bit; with two, its threads share the epoch's
// sentences (each trained once) and update one set of weights without locks, and it learns about as well as the
// deterministic run of the same recipe.
public sealed partial class TrainerTests
{
    // A Brown-like text large enough that training on half of it (one thread's updates lost) shows in the perplexity.
    private static readonly Lazy<(IReadOnlyList<string[]> Train, IReadOnlyList<string[]> Valid)> BrownSlice = new(() =>
    {
        var root = Path.GetDirectoryName(RepoPaths.Find("RnnLm.Api.sln", AppContext.BaseDirectory)
                                         ?? throw new InvalidOperationException("Repository root not found."))!;
        var brown = Path.Combine(root, "data", "brown");
        return ([.. TextCorpus.Read(Path.Combine(brown, "train.txt")).Take(4000)], [.. TextCorpus.Read(Path.Combine(brown, "valid.txt")).Take(600)]);
    });

    // The output kinds and cells Hogwild is tried with: an adaptive case has AdaGrad, clipping by norm and dropout; the last
    // two have no projection.
    public static TheoryData<OutputKind, CellKind, int, bool, bool> HogwildCases => new()
    {
        { OutputKind.Classes, CellKind.Sigmoid, 0, false, false },
        { OutputKind.Full, CellKind.Lstm, 0, false, false },
        { OutputKind.Classes, CellKind.Gru, 5_000, true, false },
        { OutputKind.Tree, CellKind.Sigmoid, 0, false, false },
        { OutputKind.Tree, CellKind.Sigmoid, 0, false, true },
        { OutputKind.Classes, CellKind.Lstm, 0, false, true },
    };

    private static TrainingOptions HogwildRecipe(OutputKind output, CellKind cell, int direct, bool adaptive, bool noProjection)
    {
        var options = new TrainingOptions
        {
            Hidden = 32, Embedding = 32, Output = output, Classes = 30, Cell = cell, Direct = direct, Streams = 8, Alpha = 0.15,
            MaxEpochs = 2, MinImprovement = 1.0, MinCount = 3, Seed = 5, NoProjection = noProjection,
        };
        return adaptive ? options with { Optimizer = OptimizerKind.Adagrad, Alpha = 0.05, ClipNorm = 2, Dropout = 0.1 } : options;
    }

    [Theory]
    [MemberData(nameof(HogwildCases))]
    public void HogwildWithOneThreadGivesTheSameModelBytesAsWithout(OutputKind output, CellKind cell, int direct, bool adaptive, bool noProjection)
    {
        var train = SyntheticCorpus(300, 1);
        var valid = SyntheticCorpus(50, 2);
        byte[] Run(bool hogwild)
        {
            var options = (adaptive ? Adaptive(output, cell) : Small(output) with { Cell = cell }) with { Direct = direct, MaxEpochs = 2, Threads = 1, Hogwild = hogwild };
            options = noProjection ? options with { NoProjection = true, Embedding = options.Hidden } : options;
            var model = new Trainer(options).Train(train, valid).Model;
            return ModelFile.Serialize(model.Vocabulary, model.Classes, model.Parameters, "", WeightEncoding.Float32, model.Tree);
        }

        Assert.Equal(Run(false), Run(true));
    }

    [Theory]
    [MemberData(nameof(HogwildCases))]
    public void HogwildOnTwoThreadsTrainsEverySentenceOnceAndLearnsAsTheDeterministicRunDoes(OutputKind output, CellKind cell, int direct, bool adaptive, bool noProjection)
    {
        var (train, valid) = BrownSlice.Value;
        var options = HogwildRecipe(output, cell, direct, adaptive, noProjection) with { Threads = 2 };
        var deterministic = new Trainer(options).Train(train, valid);
        var hogwild = new Trainer(options with { Hogwild = true }).Train(train, valid);

        var words = train.Sum(s => s.Length + 1L);
        Assert.Equal(2 * words, deterministic.TrainingWords);
        Assert.Equal(2 * words, hogwild.TrainingWords);
        // Measured after the last epoch, six runs of each recipe: hogwild from 2.1% better to 3.1% worse than the deterministic
        // run (after the first epoch it strays further, up to 9% for the LSTM, and comes back). Broken on purpose: with one
        // thread's updates lost (it stepped a copy of the weights) 7.8–22% worse; with each thread training every sentence,
        // the words are twice the corpus's.
        var (expected, actual) = (deterministic.ValidPerplexityPerEpoch[^1], hogwild.ValidPerplexityPerEpoch[^1]);
        Assert.True(Math.Abs(actual - expected) <= 0.06 * expected, $"hogwild valid perplexity {actual:F2}, deterministic {expected:F2}");
        Assert.Equal(2, hogwild.ValidPerplexityPerEpoch.Count);
    }

    [Fact]
    public void CancellingHogwildTrainingMidEpochStopsEveryThreadWithOperationCanceled()
    {
        var (train, valid) = BrownSlice.Value;
        using var cancel = new CancellationTokenSource();
        var reports = new List<TrainingProgress>();
        // Cancelled from the first report, after the calling thread's first block, while the other thread trains.
        var options = HogwildRecipe(OutputKind.Classes, CellKind.Sigmoid, 0, false, false) with { Threads = 2, Hogwild = true, MaxEpochs = 1 };
        var trainer = new Trainer(options, p =>
        {
            reports.Add(p);
            cancel.Cancel();
        }) { ReportInterval = TimeSpan.Zero };
        Assert.Throws<OperationCanceledException>(() => trainer.Train(train, valid, cancellationToken: cancel.Token));
        var report = Assert.Single(reports);
        Assert.False(report.EpochDone);
        Assert.InRange(report.Fraction, 1e-6, 0.5);
    }

    [Fact]
    public void AHogwildRunResumesFromItsCheckpointAndADeterministicRunFromIt()
    {
        var train = SyntheticCorpus(300, 1);
        var valid = SyntheticCorpus(50, 2);
        var options = Small(OutputKind.Classes) with { MaxEpochs = 3, MinImprovement = 1.0, Threads = 2, Hogwild = true };
        var checkpoints = Path.Combine(_directory, "hogwild");
        Assert.Equal(1, new Trainer(options with { MaxEpochs = 1 }).Train(train, valid, checkpoints).Epochs);

        var resumed = new Trainer(options with { MaxEpochs = 2 }).Train(train, valid, checkpoints, resume: true);
        Assert.Equal((2, 1), (resumed.Epochs, resumed.ResumedFromEpoch));
        // Hogwild changes who trains which streams, not the recipe: the run may go on without it.
        var deterministic = new Trainer(options with { Hogwild = false }).Train(train, valid, checkpoints, resume: true);
        Assert.Equal((3, 2), (deterministic.Epochs, deterministic.ResumedFromEpoch));
        Assert.Equal(resumed.ValidPerplexityPerEpoch, deterministic.ValidPerplexityPerEpoch.Take(2));
        Assert.True(deterministic.ValidPerplexity < deterministic.Model.Vocabulary.Count / 3.0, $"valid perplexity {deterministic.ValidPerplexity:F2}");
    }
}
