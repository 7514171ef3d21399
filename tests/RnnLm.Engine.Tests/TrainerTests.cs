using RnnLm.Engine.IO;
using RnnLm.Engine.Model;
using RnnLm.Engine.Training;

namespace RnnLm.Engine.Tests;

public sealed partial class TrainerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rnnlm-trainer-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>A small language with structure a model can learn: counting, agreement and a few fixed phrases.</summary>
    internal static IReadOnlyList<string[]> SyntheticCorpus(int sentences, int seed)
    {
        var random = new Random(seed);
        string[] subjects = ["the cat", "the dog", "a bird", "my friend", "the old man", "she", "he"];
        string[] verbs = ["sees", "likes", "follows", "hears", "finds"];
        string[] objects = ["the ball", "a tree", "the river", "the red house", "it", "them"];
        var result = new List<string[]>();
        for (var i = 0; i < sentences; i++)
        {
            var text = random.Next(4) switch
            {
                0 => $"{subjects[random.Next(subjects.Length)]} {verbs[random.Next(verbs.Length)]} {objects[random.Next(objects.Length)]} .",
                1 => string.Join(' ', Enumerable.Range(1, 2 + random.Next(5)).Select(n => $"n{n}")) + " !",
                2 => $"{subjects[random.Next(subjects.Length)]} {verbs[random.Next(verbs.Length)]} {objects[random.Next(objects.Length)]} and {objects[random.Next(objects.Length)]} .",
                _ => $"where is {objects[random.Next(objects.Length)]} ?",
            };
            result.Add(text.Split(' '));
        }

        return result;
    }

    internal static TrainingOptions Small(OutputKind output) => new()
    {
        Hidden = 16,
        Embedding = 8,
        Output = output,
        Classes = 5,
        Streams = 4,
        Bptt = 3,
        BpttBlock = 5,
        Alpha = 0.5,
        MaxEpochs = 6,
        MinCount = 1,
        Seed = 3,
    };

    [Theory]
    [InlineData(OutputKind.Full, CellKind.Sigmoid)]
    [InlineData(OutputKind.Classes, CellKind.Sigmoid)]
    [InlineData(OutputKind.Full, CellKind.Gru)]
    [InlineData(OutputKind.Classes, CellKind.Gru)]
    [InlineData(OutputKind.Full, CellKind.Lstm)]
    [InlineData(OutputKind.Classes, CellKind.Lstm)]
    [InlineData(OutputKind.Tree, CellKind.Sigmoid)]
    [InlineData(OutputKind.Tree, CellKind.Gru)]
    public void TrainingLearnsTheSyntheticLanguageFarBelowUniformPerplexity(OutputKind output, CellKind cell)
    {
        var train = SyntheticCorpus(600, 1);
        var valid = SyntheticCorpus(100, 2);
        var result = new Trainer(Small(output) with { Cell = cell }).Train(train, valid);
        Assert.Equal(cell, result.Model.Shape.Cell);
        var vocabularySize = result.Model.Vocabulary.Count;
        Assert.True(result.ValidPerplexity < vocabularySize / 3.0, $"valid perplexity {result.ValidPerplexity:F2} with |V| = {vocabularySize}");
        Assert.True(result.ValidPerplexityPerEpoch[^1] < result.ValidPerplexityPerEpoch[0] || result.Epochs < 2);
        Assert.Equal(result.ValidPerplexity, result.Model.ScoreCorpus([.. valid]).Perplexity, 6);
    }

    [Theory]
    [InlineData(OutputKind.Full, CellKind.Sigmoid)]
    [InlineData(OutputKind.Classes, CellKind.Lstm)]
    public void TiedEmbeddingsLearnTheSyntheticLanguageWithOneSharedMatrix(OutputKind output, CellKind cell)
    {
        var train = SyntheticCorpus(600, 1);
        var valid = SyntheticCorpus(100, 2);
        var result = new Trainer(Small(output) with { Cell = cell, Tie = true, Embedding = 16 }).Train(train, valid);
        var p = result.Model.Parameters;
        Assert.True(p.Shape.Tied);
        Assert.Same(p.Embedding, p.Output);
        Assert.True(result.ValidPerplexity < result.Model.Vocabulary.Count / 3.0, $"valid perplexity {result.ValidPerplexity:F2}");
        Assert.Equal(result.ValidPerplexity, result.Model.ScoreCorpus([.. valid]).Perplexity, 6);
    }

    [Theory]
    [InlineData(OutputKind.Full, 16, 4, CellKind.Sigmoid, 0)]
    [InlineData(OutputKind.Classes, 16, 16, CellKind.Sigmoid, 0)] // two slices of 8 streams
    [InlineData(OutputKind.Full, 6, 17, CellKind.Sigmoid, 0)] // slices of 8 and 9 streams
    [InlineData(OutputKind.Classes, 1, 17, CellKind.Sigmoid, 0)] // slices of 8 and 9 floats: shorter than a vector
    [InlineData(OutputKind.Classes, 16, 16, CellKind.Gru, 0)]
    [InlineData(OutputKind.Full, 6, 17, CellKind.Gru, 0)]
    [InlineData(OutputKind.Classes, 16, 16, CellKind.Lstm, 0)]
    [InlineData(OutputKind.Full, 6, 17, CellKind.Lstm, 0)]
    [InlineData(OutputKind.Classes, 16, 16, CellKind.Sigmoid, 97)] // direct connections in a table small enough that features collide
    [InlineData(OutputKind.Full, 6, 17, CellKind.Sigmoid, 97)]
    [InlineData(OutputKind.Classes, 8, 4, CellKind.Sigmoid, 100_000)]
    [InlineData(OutputKind.Classes, 16, 17, CellKind.Lstm, 97)]
    [InlineData(OutputKind.Classes, 16, 16, CellKind.Lstm, 0, true)] // AdaGrad, clipping by norm and dropout
    [InlineData(OutputKind.Full, 6, 17, CellKind.Gru, 0, true)]
    [InlineData(OutputKind.Classes, 1, 17, CellKind.Sigmoid, 0, true)]
    [InlineData(OutputKind.Classes, 16, 17, CellKind.Lstm, 97, true)]
    [InlineData(OutputKind.Full, 6, 17, CellKind.Sigmoid, 97, true)]
    [InlineData(OutputKind.Classes, 16, 16, CellKind.Gru, 0, false, 0.3)] // dropout with the in-place SGD step
    [InlineData(OutputKind.Classes, 16, 16, CellKind.Lstm, 97, false, 0.3, true)] // tied embeddings
    [InlineData(OutputKind.Full, 6, 17, CellKind.Sigmoid, 0, false, 0, true)]
    [InlineData(OutputKind.Classes, 16, 17, CellKind.Gru, 0, false, 0, true)]
    [InlineData(OutputKind.Tree, 16, 16, CellKind.Sigmoid, 0)]
    [InlineData(OutputKind.Tree, 6, 17, CellKind.Lstm, 0)]
    [InlineData(OutputKind.Tree, 16, 17, CellKind.Gru, 0, true, 0.3)] // AdaGrad, clipping by norm and dropout
    public void TheSameSeedGivesTheSameModelBytesWhateverTheThreadCount(OutputKind output, int hidden, int streams, CellKind cell, int direct, bool adaptive = false, double dropout = 0, bool tie = false)
    {
        var train = SyntheticCorpus(300, 1);
        var valid = SyntheticCorpus(50, 2);
        // The weights, vocabulary and classes as the model file stores them; the metadata (timings) is left out.
        byte[] Run(int threads, int seed)
        {
            var options = (adaptive ? Adaptive(output, cell) : Small(output) with { Dropout = dropout }) with
            {
                Hidden = hidden, Streams = streams, Threads = threads, Seed = seed, MaxEpochs = 2, Cell = cell, Direct = direct,
            };
            options = tie ? options with { Tie = true, Embedding = hidden } : options;
            var model = new Trainer(options).Train(train, valid).Model;
            return ModelFile.Serialize(model.Vocabulary, model.Classes, model.Parameters, "", WeightEncoding.Float32, model.Tree);
        }

        var first = Run(1, 3);
        Assert.Equal(first, Run(1, 3));
        Assert.Equal(first, Run(2, 3));
        Assert.Equal(first, Run(3, 3));
        Assert.NotEqual(first, Run(1, 4));
    }

    [Fact]
    public void BlocksOfFewRowsGiveTheSameModelBytesWhateverTheThreadCount()
    {
        // One step a block and no steps back: 8 stacked rows, which two members would split 4 and 4, where Gemm
        // computes a row differently (its direct path) than in one call over all 8.
        var train = SyntheticCorpus(200, 1);
        var valid = SyntheticCorpus(30, 2);
        byte[] Run(int threads)
        {
            var options = Small(OutputKind.Classes) with { Streams = 8, Bptt = 0, BpttBlock = 1, Threads = threads, MaxEpochs = 1 };
            var model = new Trainer(options).Train(train, valid).Model;
            return ModelFile.Serialize(model.Vocabulary, model.Classes, model.Parameters, "", WeightEncoding.Float32, model.Tree);
        }

        var one = Run(1);
        Assert.Equal(one, Run(2));
        Assert.Equal(one, Run(3));
    }

    [Theory]
    [InlineData(CellKind.Sigmoid, 0)]
    [InlineData(CellKind.Gru, 0)]
    [InlineData(CellKind.Lstm, 0)]
    [InlineData(CellKind.Sigmoid, 5_000)]
    [InlineData(CellKind.Gru, 5_000)]
    [InlineData(CellKind.Lstm, 0, true)] // AdaGrad's state is part of the checkpoint
    [InlineData(CellKind.Gru, 5_000, true)]
    public void ResumingFromACheckpointEndsWhereAnUninterruptedRunEnds(CellKind cell, int direct, bool adaptive = false)
    {
        var train = SyntheticCorpus(300, 1);
        var valid = SyntheticCorpus(50, 2);
        var options = (adaptive ? Adaptive(OutputKind.Classes, cell) : Small(OutputKind.Classes)) with { MaxEpochs = 4, MinImprovement = 1.0, Cell = cell, Direct = direct };
        var whole = new Trainer(options).Train(train, valid, Path.Combine(_directory, $"whole{cell}{direct}{adaptive}"));

        var checkpoints = Path.Combine(_directory, $"parts{cell}{direct}{adaptive}");
        var first = new Trainer(options with { MaxEpochs = 2 }).Train(train, valid, checkpoints);
        Assert.Equal(2, first.Epochs);
        var resumed = new Trainer(options).Train(train, valid, checkpoints, resume: true);

        Assert.Equal(4, resumed.Epochs);
        Assert.Equal(2, resumed.ResumedFromEpoch);
        Assert.Equal(0, whole.ResumedFromEpoch);
        Assert.Equal(adaptive ? ["checkpoint-4.optimizer.rnnlm", "checkpoint-4.rnnlm", "checkpoint.json"] : ["checkpoint-4.rnnlm", "checkpoint.json"],
                     Directory.GetFiles(checkpoints).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(whole.ValidPerplexityPerEpoch, resumed.ValidPerplexityPerEpoch);
        Assert.Equal(cell, resumed.Model.Shape.Cell);
        Assert.Equal(
            ModelFile.Serialize(whole.Model.Vocabulary, whole.Model.Classes, whole.Model.Parameters, "", WeightEncoding.Float32),
            ModelFile.Serialize(resumed.Model.Vocabulary, resumed.Model.Classes, resumed.Model.Parameters, "", WeightEncoding.Float32));
    }

    [Theory]
    [InlineData(OutputKind.Full)]
    [InlineData(OutputKind.Classes)]
    public void DirectConnectionsLearnAndTheModelCarriesThem(OutputKind output)
    {
        var train = SyntheticCorpus(600, 1);
        var valid = SyntheticCorpus(100, 2);
        var options = Small(output) with { Direct = 20_000, DirectOrder = 4 };
        var result = new Trainer(options).Train(train, valid);
        var shape = result.Model.Shape;
        Assert.Equal((20_000, 4), (shape.DirectSize, shape.DirectOrder));
        Assert.True(result.ValidPerplexity < result.Model.Vocabulary.Count / 3.0, $"valid perplexity {result.ValidPerplexity:F2}");
        Assert.True(result.Model.Parameters.Direct.Count(w => w != 0) > 1_000, "training should have moved many direct weights");
        Assert.Contains("\"direct\":20000", result.Model.Metadata);
        Assert.Contains("\"directOrder\":4", result.Model.Metadata);
        Assert.Equal(result.ValidPerplexity, result.Model.ScoreCorpus([.. valid]).Perplexity, 6);
    }

    [Fact]
    public void AModelWithoutDirectConnectionsKeepsTheMetadataItHadBeforeThem()
    {
        // The model file holds the metadata: settings that were added later must not enter it when off, or the shipped
        // model's command would no longer give its bytes.
        var result = new Trainer(Small(OutputKind.Classes) with { MaxEpochs = 1 }).Train(SyntheticCorpus(50, 1), SyntheticCorpus(10, 2));
        Assert.Equal((0, 0), (result.Model.Shape.DirectSize, result.Model.Shape.DirectOrder));
        Assert.DoesNotContain("direct", result.Model.Metadata, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\"bpttBlock\":5", result.Model.Metadata);
    }

    [Fact]
    public void ACheckpointWhoseWeightsAreMissingIsRefusedWithAClearMessage()
    {
        var train = SyntheticCorpus(100, 1);
        var valid = SyntheticCorpus(20, 2);
        var checkpoints = Path.Combine(_directory, "missing");
        var options = Small(OutputKind.Full) with { MaxEpochs = 1 };
        new Trainer(options).Train(train, valid, checkpoints);
        File.Delete(Path.Combine(checkpoints, "checkpoint-1.rnnlm"));
        var error = Assert.Throws<ArgumentException>(() => new Trainer(options with { MaxEpochs = 2 }).Train(train, valid, checkpoints, resume: true));
        Assert.Contains("checkpoint-1.rnnlm", error.Message);
    }

    [Fact]
    public void ResumingWithOtherOptionsIsRefusedWithAClearMessage()
    {
        var train = SyntheticCorpus(100, 1);
        var valid = SyntheticCorpus(20, 2);
        var checkpoints = Path.Combine(_directory, "c");
        new Trainer(Small(OutputKind.Full) with { MaxEpochs = 1 }).Train(train, valid, checkpoints);
        var error = Assert.Throws<ArgumentException>(() => new Trainer(Small(OutputKind.Full) with { Hidden = 17 }).Train(train, valid, checkpoints, resume: true));
        Assert.Contains("other training options", error.Message);
        error = Assert.Throws<ArgumentException>(() => new Trainer(Small(OutputKind.Full) with { Cell = CellKind.Lstm }).Train(train, valid, checkpoints, resume: true));
        Assert.Contains("other training options", error.Message);
    }

    [Theory]
    [InlineData(CellKind.Sigmoid, null)]
    [InlineData(CellKind.Gru, "Gru")]
    [InlineData(CellKind.Lstm, "Lstm")]
    public void AModelsRecipeNamesAGatedCellAndLeavesTheSigmoidUnsaidAsModelsBeforeCellsDid(CellKind cell, string? named)
    {
        // The recipe in the model file is part of its bytes: a sigmoid model's must read as it did before there were cells.
        var model = new Trainer(Small(OutputKind.Classes) with { Cell = cell, MaxEpochs = 1 }).Train(SyntheticCorpus(50, 1), SyntheticCorpus(10, 2)).Model;
        var trainer = System.Text.Json.Nodes.JsonNode.Parse(model.Metadata)!["trainer"]!.AsObject();
        Assert.Equal(named, trainer["cell"]?.GetValue<string>());
        Assert.True(trainer.ContainsKey("hidden"));
        Assert.Equal(cell, ModelFile.Load(Save(model)).Shape.Cell);
    }

    [Fact]
    public void ARecipeAtTheDefaultsOfEveryLaterSettingNamesWhatTheFirstModelsNamedAndNothingElse()
    {
        // The names model files of format version 1 carry: a later setting at its default must not change those bytes.
        string[] first = ["hidden", "embedding", "output", "classes", "bptt", "bpttBlock", "streams", "alpha", "beta", "clip", "maxEpochs", "minImprovement", "minCount", "seed", "initScale", "shuffle", "halfPrecision"];
        var model = new Trainer(Small(OutputKind.Classes) with { MaxEpochs = 1, Threads = 2 }).Train(SyntheticCorpus(50, 1), SyntheticCorpus(10, 2)).Model;
        var trainer = System.Text.Json.Nodes.JsonNode.Parse(model.Metadata)!["trainer"]!.AsObject();
        Assert.Equal(first.Order(), trainer.Select(p => p.Key).Order());

        // Off their defaults, they are named.
        model = new Trainer(Small(OutputKind.Classes) with { MaxEpochs = 1, Dropout = 0.25, Optimizer = OptimizerKind.Adagrad, Direct = 1000, DirectOrder = 3 }).Train(SyntheticCorpus(50, 1), SyntheticCorpus(10, 2)).Model;
        trainer = System.Text.Json.Nodes.JsonNode.Parse(model.Metadata)!["trainer"]!.AsObject();
        Assert.Equal(first.Concat(["direct", "dropout", "optimizer"]).Order(), trainer.Select(p => p.Key).Order());
    }

    private string Save(LanguageModel model)
    {
        var path = Path.Combine(_directory, $"{Guid.NewGuid():N}.rnnlm");
        ModelFile.Save(model, path);
        return path;
    }

    [Fact]
    public void TheScheduleHalvesAlphaAfterASmallImprovementAndStopsAtTheNext()
    {
        var train = SyntheticCorpus(300, 1);
        var valid = SyntheticCorpus(50, 2);
        var alphas = new List<double>();
        // A huge improvement threshold makes every epoch after the first "too small": halve after the second, stop after the third.
        var result = new Trainer(Small(OutputKind.Full) with { MinImprovement = 2, MaxEpochs = 10 }, p =>
        {
            if (p.EpochDone)
            {
                alphas.Add(p.Alpha);
            }
        }).Train(train, valid);

        Assert.Equal(3, result.Epochs);
        Assert.Equal([0.5, 0.25, 0.25], alphas);
    }

    [Theory]
    [InlineData(2, new[] { 0.5, 0.25, 0.125, 0.125 })]
    [InlineData(4, new[] { 0.5, 0.25, 0.125, 0.0625, 0.03125, 0.03125 })]
    public void PatienceLetsThatManySmallImprovementsPassWhileAlphaKeepsHalving(int patience, double[] expected)
    {
        var train = SyntheticCorpus(300, 1);
        var valid = SyntheticCorpus(50, 2);
        var alphas = new List<double>();
        var result = new Trainer(Small(OutputKind.Full) with { MinImprovement = 2, MaxEpochs = 10, Patience = patience }, p =>
        {
            if (p.EpochDone)
            {
                alphas.Add(p.Alpha);
            }
        }).Train(train, valid);

        Assert.Equal(patience + 2, result.Epochs);
        Assert.Equal(expected, alphas);
    }

    [Fact]
    public void AnEpochThatMakesValidationWorseIsRolledBack()
    {
        var train = SyntheticCorpus(300, 1);
        var valid = SyntheticCorpus(50, 2);
        // A learning rate this large wrecks the model after the first epochs; the result must be the best epoch's weights.
        var result = new Trainer(Small(OutputKind.Full) with { Alpha = 10, Streams = 1, MaxEpochs = 4, MinImprovement = 1.0 }).Train(train, valid);
        var perEpoch = result.ValidPerplexityPerEpoch;
        Assert.True(Enumerable.Range(1, perEpoch.Count - 1).Any(i => perEpoch[i] > perEpoch[i - 1]), "the rate must make some epoch worse than the one before, or this proves nothing");
        Assert.Equal(result.ValidPerplexityPerEpoch.Min(), result.ValidPerplexity, 6);
        Assert.Equal(result.ValidPerplexity, result.Model.ScoreCorpus([.. valid]).Perplexity, 6);
    }

    [Fact]
    public void CancellationStopsTrainingWithOperationCanceled()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.Throws<OperationCanceledException>(() => new Trainer(Small(OutputKind.Full)).Train(SyntheticCorpus(50, 1), SyntheticCorpus(10, 2), cancellationToken: cancel.Token));
    }

    [Fact]
    public void ProgressReportsEveryEpochWithValidationPerplexity()
    {
        var reports = new List<TrainingProgress>();
        new Trainer(Small(OutputKind.Classes) with { MaxEpochs = 2, MinImprovement = 1.0 }, reports.Add).Train(SyntheticCorpus(200, 1), SyntheticCorpus(30, 2));
        var epochEnds = reports.Where(r => r.EpochDone).ToList();
        Assert.Equal([1, 2], epochEnds.Select(r => r.Epoch));
        Assert.All(epochEnds, r => Assert.Equal(1.0, r.Fraction, 6));
        Assert.Equal(2, epochEnds[^1].ValidPerplexity.Count);
        Assert.All(epochEnds, r => Assert.True(r.WordsPerSecond > 0 && r.TrainEntropy > 0));

        // Each finished epoch's training perplexity is what its closing report's entropy says.
        Assert.Equal(epochEnds.Select(r => Math.Pow(2, r.TrainEntropy)), epochEnds[^1].TrainPerplexity!, new Tolerance(1e-9));
        Assert.Equal(epochEnds[0].TrainPerplexity, epochEnds[^1].TrainPerplexity!.Take(1));
    }

    private sealed class Tolerance(double relative) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= relative * Math.Max(Math.Abs(x), Math.Abs(y));

        public int GetHashCode(double obj) => 0;
    }

    [Theory]
    [InlineData(nameof(TrainingOptions.Hidden))]
    [InlineData(nameof(TrainingOptions.Alpha))]
    [InlineData(nameof(TrainingOptions.BpttBlock))]
    [InlineData(nameof(TrainingOptions.Streams))]
    public void InvalidOptionsAreRefusedNamingTheOption(string name)
    {
        var options = name switch
        {
            nameof(TrainingOptions.Hidden) => new TrainingOptions { Hidden = 0 },
            nameof(TrainingOptions.Alpha) => new TrainingOptions { Alpha = -1 },
            nameof(TrainingOptions.BpttBlock) => new TrainingOptions { BpttBlock = 0 },
            _ => new TrainingOptions { Streams = 0 },
        };
        var error = Assert.Throws<ArgumentException>(() => new Trainer(options));
        Assert.Equal(char.ToLowerInvariant(name[0]) + name[1..], error.ParamName);
    }
}
