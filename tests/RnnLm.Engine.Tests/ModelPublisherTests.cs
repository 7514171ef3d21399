using RnnLm.Engine.IO;
using RnnLm.Engine.Model;
using RnnLm.Engine.Training;

namespace RnnLm.Engine.Tests;

public sealed class ModelPublisherTests : IDisposable
{
    private static readonly IReadOnlyList<string[]> Train = TrainerTests.SyntheticCorpus(200, 1);
    private static readonly IReadOnlyList<string[]> Valid = TrainerTests.SyntheticCorpus(40, 2);
    private static readonly IReadOnlyList<string[]> Test = TrainerTests.SyntheticCorpus(30, 3);
    private readonly string _directory = Directory.CreateTempSubdirectory("rnnlm-publisher-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static TrainingOptions Small(bool halfPrecision) => new()
    {
        Hidden = 12, Embedding = 8, Output = OutputKind.Classes, Classes = 4, Streams = 2, Bptt = 2, BpttBlock = 5, MaxEpochs = 2, MinCount = 1, Seed = 7,
        HalfPrecision = halfPrecision,
    };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PublishingSavesTheModelAndWritesTheCardTheCliPrintedBefore(bool halfPrecision)
    {
        var options = Small(halfPrecision);
        var result = new Trainer(options).Train(Train, Valid);
        var path = Path.Combine(_directory, "small.rnnlm");

        var (card, scores) = ModelPublisher.Publish(result, options, new TrainingTexts(Train, Valid, Test), path, new PublishedAs("small", "train.txt (200 sentences), valid valid.txt", "rnnlm train ..."));

        // The card TrainCommand wrote before the move, field by field: figures of the saved weights (float16 included), hash and size of the file.
        var saved = ModelFile.Load(path);
        var expected = ModelCard.FromTraining(options, result) with
        {
            Name = "small",
            TrainingData = "train.txt (200 sentences), valid valid.txt",
            TrainPerplexity = Math.Round(saved.ScoreCorpus([.. Train]).Perplexity, 2),
            ValidPerplexity = Math.Round(saved.ScoreCorpus([.. Valid]).Perplexity, 2),
            TestPerplexity = Math.Round(saved.ScoreCorpus([.. Test]).Perplexity, 2),
            TestTokens = saved.ScoreCorpus([.. Test]).Tokens,
            Sha256 = ModelCard.HashFile(path),
            FileBytes = new FileInfo(path).Length,
            Command = "rnnlm train ...",
            CreatedUtc = card.CreatedUtc,
        };
        Assert.Equal(Json(expected), Json(card));
        Assert.Equal(Json(card), File.ReadAllText(ModelCard.PathFor(path)).Trim());
        Assert.Equal(halfPrecision ? "float16" : "float32", card.WeightEncoding);
        Assert.Equal(saved.ScoreCorpus([.. Valid]).Perplexity, scores.Valid.Perplexity);
    }

    [Theory]
    [InlineData(CellKind.Sigmoid, "Elman RNN (sigmoid hidden layer), class-factorized softmax (4 classes)", "sigmoid")]
    [InlineData(CellKind.Gru, "RNN with a GRU hidden layer, class-factorized softmax (4 classes)", "gru")]
    [InlineData(CellKind.Lstm, "RNN with an LSTM hidden layer (no peepholes), class-factorized softmax (4 classes)", "lstm")]
    public void TheCardSaysTheCellInItsArchitectureAndHyperparameters(CellKind cell, string architecture, string name)
    {
        var options = Small(halfPrecision: false) with { Cell = cell, MaxEpochs = 1 };
        var result = new Trainer(options).Train(Train, Valid);
        var card = ModelPublisher.Publish(result, options, new TrainingTexts(Train, Valid), Path.Combine(_directory, $"{name}.rnnlm"), new PublishedAs(name, "text", "rnnlm train ...")).Card;
        Assert.Equal(architecture, card.Architecture);
        Assert.Equal(name, card.Hyperparameters["cell"].GetString());
    }

    [Fact]
    public void ACardWithoutTestTextHasNoTestFigures()
    {
        var options = Small(halfPrecision: false);
        var result = new Trainer(options).Train(Train, Valid);
        var path = Path.Combine(_directory, "no-test.rnnlm");

        var card = ModelPublisher.Publish(result, options, new TrainingTexts(Train, Valid), path, new PublishedAs("no-test", "text", "POST /jobs")).Card;

        Assert.Null(card.TestPerplexity);
        Assert.Null(card.TestTokens);
        Assert.Equal(Math.Round(result.Model.ScoreCorpus([.. Train]).Perplexity, 2), card.TrainPerplexity);
    }

    private static string Json(ModelCard card)
    {
        var path = Path.GetTempFileName();
        try
        {
            card.Save(path);
            return File.ReadAllText(path).Trim();
        }
        finally
        {
            File.Delete(path);
        }
    }
}
