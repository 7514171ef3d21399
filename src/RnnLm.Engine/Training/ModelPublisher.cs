using RnnLm.Engine.Inference;
using RnnLm.Engine.IO;

namespace RnnLm.Engine.Training;

/// <summary>The texts a model was trained on and is scored against; <paramref name="Test"/> is optional.</summary>
public sealed record TrainingTexts(IReadOnlyList<string[]> Train, IReadOnlyList<string[]> Valid, IReadOnlyList<string[]>? Test = null);

/// <summary>How a published model is named on its card: its name, where its text came from and what made it.</summary>
public sealed record PublishedAs(string Name, string TrainingData, string Command);

/// <summary>A model's scores on the texts it was trained with.</summary>
public sealed record ModelScores(CorpusScore Train, CorpusScore Valid, CorpusScore? Test);

/// <summary>A published model's card and the scores written on it (unrounded).</summary>
public sealed record Publication(ModelCard Card, ModelScores Scores);

/// <summary>
/// What follows training in every shell: score the new model on its texts, write its card, save it. The CLI and the jobs
/// API make these same calls, so a model trained either way carries the same figures in the same fields.
/// </summary>
public static class ModelPublisher
{
    /// <summary>
    /// Saves the model to <paramref name="path"/> (float16 when the options ask for it), scores the saved weights (so the
    /// figures are those of the file, rounding included) and writes the card beside it (<see cref="ModelCard.PathFor"/>).
    /// </summary>
    /// <exception cref="IOException">The model or its card cannot be written.</exception>
    public static Publication Publish(TrainingResult result, TrainingOptions options, TrainingTexts texts, string path, PublishedAs label)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(options);
        ModelFile.Save(result.Model, path, options.HalfPrecision ? WeightEncoding.Float16 : WeightEncoding.Float32);
        var scores = Score(ModelFile.Load(path), texts, options.Threads);
        var card = Card(result, options, scores, path, label);
        card.Save(ModelCard.PathFor(path));
        return new Publication(card, scores);
    }

    /// <summary>The model's scores on the training, validation and (when given) test text.</summary>
    public static ModelScores Score(LanguageModel model, TrainingTexts texts, int threads)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(texts);
        return new ModelScores(model.ScoreCorpus(texts.Train, threads), model.ScoreCorpus(texts.Valid, threads),
            texts.Test is null ? null : model.ScoreCorpus(texts.Test, threads));
    }

    /// <summary>The card of the model saved at <paramref name="path"/>: its recipe and training run, its scores, and the file's hash and size.</summary>
    public static ModelCard Card(TrainingResult result, TrainingOptions options, ModelScores scores, string path, PublishedAs label)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(label);
        return ModelCard.FromTraining(options, result) with
        {
            Name = label.Name,
            TrainingData = label.TrainingData,
            TrainPerplexity = Math.Round(scores.Train.Perplexity, 2),
            ValidPerplexity = Math.Round(scores.Valid.Perplexity, 2),
            TestPerplexity = scores.Test is null ? null : Math.Round(scores.Test.Perplexity, 2),
            TestTokens = scores.Test?.Tokens,
            Sha256 = ModelCard.HashFile(path),
            FileBytes = new FileInfo(path).Length,
            Command = label.Command,
        };
    }
}
