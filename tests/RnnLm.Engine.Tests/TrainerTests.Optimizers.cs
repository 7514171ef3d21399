using RnnLm.Engine.IO;
using RnnLm.Engine.Model;
using RnnLm.Engine.Training;

namespace RnnLm.Engine.Tests;

// Training with AdaGrad, clipping by norm and dropout (their thread independence and resuming are cases of the theories
// in TrainerTests.cs): each learns, a checkpoint without AdaGrad's state or with other settings is refused, a rolled-back
// epoch takes the state back too, and a model's recipe names these settings only when they are not the defaults that
// every earlier model was made with.
public sealed partial class TrainerTests
{
    private static TrainingOptions Adaptive(OutputKind output, CellKind cell) => Small(output) with
    {
        Cell = cell,
        Optimizer = OptimizerKind.Adagrad,
        Alpha = 0.1,
        ClipNorm = 2,
        Dropout = 0.2,
    };

    [Theory]
    [InlineData(OptimizerKind.Adagrad, 0, 0)]
    [InlineData(OptimizerKind.Sgd, 1, 0)]
    [InlineData(OptimizerKind.Sgd, 0, 0.3)]
    [InlineData(OptimizerKind.Adagrad, 2, 0.2)]
    public void AdaGradClippingAndDropoutEachLearnTheSyntheticLanguageFarBelowUniformPerplexity(OptimizerKind optimizer, double clipNorm, double dropout)
    {
        var train = SyntheticCorpus(600, 1);
        var valid = SyntheticCorpus(100, 2);
        var options = Small(OutputKind.Classes) with { Cell = CellKind.Lstm, Optimizer = optimizer, ClipNorm = clipNorm, Dropout = dropout };
        var result = new Trainer(optimizer == OptimizerKind.Adagrad ? options with { Alpha = 0.1 } : options).Train(train, valid);
        var vocabularySize = result.Model.Vocabulary.Count;
        Assert.True(result.ValidPerplexity < vocabularySize / 3.0, $"valid perplexity {result.ValidPerplexity:F2} with |V| = {vocabularySize}");
        Assert.True(result.ValidPerplexityPerEpoch[^1] < result.ValidPerplexityPerEpoch[0]);
        Assert.Equal(result.ValidPerplexity, result.Model.ScoreCorpus([.. valid]).Perplexity, 6);
    }

    [Fact]
    public void ACheckpointWithoutAdaGradsStateIsRefused()
    {
        // Without the accumulators the run would go on with fresh ones, and end elsewhere.
        var checkpoints = Path.Combine(_directory, "stateless");
        var options = Adaptive(OutputKind.Classes, CellKind.Lstm) with { MaxEpochs = 1 };
        new Trainer(options).Train(SyntheticCorpus(100, 1), SyntheticCorpus(20, 2), checkpoints);
        File.Delete(Path.Combine(checkpoints, "checkpoint-1.optimizer.rnnlm"));
        var error = Assert.Throws<ArgumentException>(() => new Trainer(options with { MaxEpochs = 2 }).Train(SyntheticCorpus(100, 1), SyntheticCorpus(20, 2), checkpoints, resume: true));
        Assert.Contains("checkpoint-1.optimizer.rnnlm", error.Message);
    }

    [Fact]
    public void ResumingWithAnotherOptimiserOrDropoutIsRefused()
    {
        var train = SyntheticCorpus(100, 1);
        var valid = SyntheticCorpus(20, 2);
        var checkpoints = Path.Combine(_directory, "c");
        var options = Adaptive(OutputKind.Full, CellKind.Gru) with { MaxEpochs = 1 };
        new Trainer(options).Train(train, valid, checkpoints);
        foreach (var other in new[] { options with { Optimizer = OptimizerKind.Sgd }, options with { Dropout = 0.3 }, options with { ClipNorm = 0 } })
        {
            var error = Assert.Throws<ArgumentException>(() => new Trainer(other with { MaxEpochs = 2 }).Train(train, valid, checkpoints, resume: true));
            Assert.Contains("other training options", error.Message);
        }
    }

    [Fact]
    public void AnEpochThatIsRolledBackTakesAdaGradsStateBackToo()
    {
        var train = SyntheticCorpus(300, 1);
        var valid = SyntheticCorpus(50, 2);
        var checkpoints = Path.Combine(_directory, "rolled");
        // A rate this large makes some epoch worse than the best before it; the checkpoint after each epoch shows the state.
        var states = new List<byte[]>();
        var options = Adaptive(OutputKind.Full, CellKind.Sigmoid) with { Alpha = 3, ClipNorm = 0, Dropout = 0, MaxEpochs = 5, MinImprovement = 1.0 };
        var result = new Trainer(options, p =>
        {
            if (p.EpochDone)
            {
                states.Add(File.ReadAllBytes(Path.Combine(checkpoints, $"checkpoint-{p.Epoch}.optimizer.rnnlm")));
            }
        }).Train(train, valid, checkpoints);

        var perEpoch = result.ValidPerplexityPerEpoch;
        var bestSoFar = 0;
        var rolledBack = 0;
        for (var epoch = 1; epoch < perEpoch.Count; epoch++)
        {
            if (perEpoch[epoch] > perEpoch[bestSoFar])
            {
                Assert.Equal(states[bestSoFar], states[epoch]);
                rolledBack++;
            }
            else
            {
                Assert.NotEqual(states[bestSoFar], states[epoch]);
                bestSoFar = epoch;
            }
        }

        Assert.True(rolledBack > 0, $"no epoch was worse ({string.Join(", ", perEpoch)}), so this proves nothing");
    }

    [Fact]
    public void AModelsRecipeNamesTheOptimiserClippingAndDropoutOnlyWhenTheyAreNotTheDefaults()
    {
        // The recipe is part of a model file's bytes: a model made with the defaults must read as it did before these existed.
        System.Text.Json.Nodes.JsonObject Recipe(TrainingOptions options) =>
            System.Text.Json.Nodes.JsonNode.Parse(new Trainer(options with { MaxEpochs = 1 }).Train(SyntheticCorpus(50, 1), SyntheticCorpus(10, 2)).Model.Metadata)!["trainer"]!.AsObject();

        var plain = Recipe(Small(OutputKind.Classes));
        Assert.False(plain.ContainsKey("optimizer") || plain.ContainsKey("clipNorm") || plain.ContainsKey("dropout"), plain.ToJsonString());
        var named = Recipe(Adaptive(OutputKind.Classes, CellKind.Lstm));
        Assert.Equal(("Adagrad", 2.0, 0.2), (named["optimizer"]!.GetValue<string>(), named["clipNorm"]!.GetValue<double>(), named["dropout"]!.GetValue<double>()));
    }
}
