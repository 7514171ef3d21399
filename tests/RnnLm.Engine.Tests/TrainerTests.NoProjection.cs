using RnnLm.Engine.IO;
using RnnLm.Engine.Model;
using RnnLm.Engine.Numerics;
using RnnLm.Engine.Training;

namespace RnnLm.Engine.Tests;

// Training without a projection (TrainingOptions.NoProjection): the rows are the gates' width, the scorer agrees with
// the trainer, the bits do not depend on the thread count, and the rows step at their own rate.
public sealed partial class TrainerTests
{
    [Theory]
    [InlineData(OutputKind.Classes, CellKind.Sigmoid)]
    [InlineData(OutputKind.Full, CellKind.Gru)]
    [InlineData(OutputKind.Tree, CellKind.Lstm)]
    public void WithoutAProjectionTheRowsAreTheGatesWidthAndLearnTheSyntheticLanguage(OutputKind output, CellKind cell)
    {
        var train = SyntheticCorpus(600, 1);
        var valid = SyntheticCorpus(100, 2);
        var result = new Trainer(Small(output) with { Cell = cell, NoProjection = true, Embedding = 16 }).Train(train, valid);
        var shape = result.Model.Shape;
        Assert.True(shape.NoProjection);
        Assert.Equal(ModelShape.GatesOf(cell) * 16, shape.Embedding);
        Assert.Empty(result.Model.Parameters.Input);
        Assert.True(result.ValidPerplexity < result.Model.Vocabulary.Count / 3.0, $"valid perplexity {result.ValidPerplexity:F2}");
        // The scorer's input rows (L + b1) give what the trainer measured with e(t) added to b1 + h(t−1)H.
        Assert.Equal(result.ValidPerplexity, result.Model.ScoreCorpus([.. valid]).Perplexity, 6);
    }

    [Theory]
    [InlineData(OutputKind.Classes, CellKind.Sigmoid, 0)]
    [InlineData(OutputKind.Tree, CellKind.Gru, 0)]
    [InlineData(OutputKind.Full, CellKind.Lstm, 0.3)]
    [InlineData(OutputKind.Classes, CellKind.Gru, 0.2, true)] // AdaGrad, clipping by norm and dropout
    public void WithoutAProjectionTheSameSeedGivesTheSameModelBytesWhateverTheThreadCount(OutputKind output, CellKind cell, double dropout, bool adaptive = false)
    {
        var train = SyntheticCorpus(300, 1);
        var valid = SyntheticCorpus(50, 2);
        byte[] Run(int threads) => Bytes(new Trainer((adaptive ? Adaptive(output, cell) : Small(output)) with
        {
            Hidden = 16, Embedding = 16, Streams = 17, Threads = threads, MaxEpochs = 2, Cell = cell, Dropout = dropout, NoProjection = true,
        }).Train(train, valid).Model);

        var one = Run(1);
        Assert.Equal(one, Run(2));
        Assert.Equal(one, Run(3));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(3.0)]
    public void TheEmbeddingRowsStepAtTheirOwnRateAndTheOtherWeightsAtTheBlocks(double? rowFactor)
    {
        const double rate = 0.01;
        var (parameters, classes) = GradientCheckTests.Model(CellKind.Sigmoid, OutputKind.Classes, directOrder: 0, seed: 7, noProjection: true);
        var gradient = new Parameters<double>(parameters.Shape);
        RunSecondBlock(OptimizerTests.Copy(parameters), classes, null, null, new OutputSink<double>(gradient, 1), gradient);

        var stepped = OptimizerTests.Copy(parameters);
        var left = new Parameters<double>(parameters.Shape);
        RunSecondBlock(stepped, classes, (rate, 0.0), rowFactor * rate, new OutputSink<double>(left, 1), left);
        foreach (var ((name, w0), (_, g), (_, w)) in parameters.Tensors().Zip(gradient.Tensors(), stepped.Tensors()).Where(t => t.First.Name is "L" or "H" or "b1"))
        {
            var expected = name == "L" ? (rowFactor ?? 1) * rate : rate;
            Assert.Contains(g, x => x != 0);
            for (var i = 0; i < w0.Length; i++)
            {
                Assert.Equal(w0[i] - (expected * g[i]), w[i], 12);
            }
        }
    }

    private static void RunSecondBlock(Parameters<double> weights, ClassMap? classes, (double, double)? step, double? rowRate, OutputSink<double> sink, Parameters<double> gradients)
    {
        var queue = new Queue<int[]>(GradientCheckTests.Sentences);
        using var team = new WorkTeam(1);
        var network = new BpttNetwork<double>(weights, classes, 2, 3, 2, team, 0, _ => queue.Count > 0 ? queue.Dequeue() : null) { Step = step, RowRate = rowRate };
        Assert.True(network.RunBlock(null, null, out _, out _));
        Assert.True(network.RunBlock(sink, gradients, out _, out _));
    }

    private static byte[] Bytes(LanguageModel model) =>
        ModelFile.Serialize(model.Vocabulary, model.Classes, model.Parameters, "", WeightEncoding.Float32, model.Tree);
}
