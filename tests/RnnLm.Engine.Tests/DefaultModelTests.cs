using RnnLm.Engine.Data;
using RnnLm.Engine.IO;

namespace RnnLm.Engine.Tests;

/// <summary>The model the service ships: it loads, and its card tells the truth about it.</summary>
public class DefaultModelTests
{
    private static readonly string Root = FindRoot();
    private static readonly string ModelPath = Path.Combine(Root, "models", "brown-default.rnnlm");

    [Fact]
    public void TheShippedModelMatchesItsCardsSha256AndDimensions()
    {
        var card = ModelCard.TryLoad(ModelCard.PathFor(ModelPath));
        Assert.NotNull(card);
        Assert.Equal(card.Sha256, ModelCard.HashFile(ModelPath));
        Assert.Equal(card.FileBytes, new FileInfo(ModelPath).Length);
        Assert.True(card.FileBytes < 40_000_000, "the shipped model must stay under 40 MB");

        var model = ModelFile.Load(ModelPath);
        Assert.Equal(card.VocabularySize, model.Shape.VocabularySize);
        Assert.Equal(card.Hidden, model.Shape.Hidden);
        Assert.Equal(card.Embedding, model.Shape.Embedding);
        Assert.Equal(card.Classes, model.Shape.ClassCount);
        Assert.Equal(card.Parameters, model.Shape.ParameterCount);
        Assert.Equal(card.Output, model.Shape.Output.ToString().ToLowerInvariant());
    }

    [Fact]
    public void TheShippedFullSoftmaxModelMatchesItsCard()
    {
        var path = Path.Combine(Root, "models", "brown-full-h200.rnnlm");
        var card = ModelCard.TryLoad(ModelCard.PathFor(path));
        Assert.NotNull(card);
        Assert.Equal(card.Sha256, ModelCard.HashFile(path));
        Assert.True(card.FileBytes < 40_000_000, "a shipped model must stay under 40 MB");
        var model = ModelFile.Load(path);
        Assert.Equal((card.VocabularySize, card.Hidden, card.Embedding, card.Parameters), (model.Shape.VocabularySize, model.Shape.Hidden, model.Shape.Embedding, model.Shape.ParameterCount));
        Assert.Equal("full", model.Shape.Output.ToString().ToLowerInvariant());
        Assert.True(card.TestPerplexity <= 125);
    }

    [Fact]
    public void TheShippedModelHasTheBrownVocabularyAndScoresLikeALanguageModel()
    {
        var model = ModelFile.Load(ModelPath);
        // 14,114 words including <unk>, plus </s>.
        Assert.Equal(14_115, model.Vocabulary.Count);
        var plausible = model.Score("The jury said it did not find any evidence .".Split(' '));
        var scrambled = model.Score(". evidence any find not did it said jury The".Split(' '));
        Assert.True(plausible.LogProb > scrambled.LogProb + 10, $"{plausible.LogProb} vs {scrambled.LogProb}");
    }

    [Fact]
    public void TheShippedModelScoresTheBrownTestSetAtTheCardsPerplexityAndAtMost125()
    {
        var card = ModelCard.TryLoad(ModelCard.PathFor(ModelPath))!;
        var test = TextCorpus.Read(Path.Combine(Root, "data", "brown", "test.txt"));
        var score = ModelFile.Load(ModelPath).ScoreCorpus([.. test], Environment.ProcessorCount);
        Assert.Equal(171_297, score.Tokens);
        Assert.NotNull(card.TestPerplexity);
        Assert.Equal(card.TestPerplexity.Value, score.Perplexity, 0.01);
        Assert.True(score.Perplexity <= 125, $"test perplexity {score.Perplexity:F2}");
    }

    private static string FindRoot() =>
        RepoPaths.Find("RnnLm.Api.sln", AppContext.BaseDirectory) is { } solution
            ? Path.GetDirectoryName(solution)!
            : throw new InvalidOperationException("Repository root not found.");
}
