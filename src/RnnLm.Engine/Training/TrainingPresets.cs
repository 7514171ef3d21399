using RnnLm.Engine.Model;

namespace RnnLm.Engine.Training;

/// <summary>Named recipes: a preset is a whole <see cref="TrainingOptions"/>, and given settings apply on top of it.</summary>
public static class TrainingPresets
{
    /// <summary>
    /// The shipped Elman model's command (models/brown-elman.json, the default model before gated cells): the defaults
    /// with its seed and two threads.
    /// </summary>
    public static TrainingOptions BrownElman { get; } = new() { Threads = 2, Seed = 3 };

    /// <summary>
    /// The shipped default model's command (models/brown-default.json): the Elman recipe with an LSTM hidden layer,
    /// direct connections of order 4 in 10⁷ entries, dropout 0.15, and float16 storage.
    /// </summary>
    public static TrainingOptions BrownDefault { get; } = BrownElman with
    {
        Cell = CellKind.Lstm, Direct = 10_000_000, DirectOrder = 4, Dropout = 0.15, HalfPrecision = true,
    };

    /// <summary>
    /// The best model's command (models/brown-best.json): the default's recipe at hidden 650 with the output vectors tied to
    /// the embeddings, dropout 0.5, and two small improvements let pass while alpha halves.
    /// </summary>
    public static TrainingOptions BrownBest { get; } = BrownDefault with { Hidden = 650, Embedding = 650, Tie = true, Dropout = 0.5, Patience = 2 };

    /// <summary>
    /// Mikolov's rnnlm 0.4b: one stream, alpha 0.1, stop at an improvement below 1.003, at most 20 epochs, sentences in
    /// file order.
    /// </summary>
    public static TrainingOptions Rnnlm { get; } = new() { Streams = 1, Alpha = 0.1, MinImprovement = 1.003, MaxEpochs = 20, Shuffle = false };

    /// <summary>
    /// What <c>rnnlm bench</c> measures: one epoch of 16 streams (two slices of 8 for two threads), alpha 0.1, every
    /// core, and an improvement threshold of 1 so that the epochs asked for always run.
    /// </summary>
    public static TrainingOptions Bench { get; } = new() { Streams = 16, Alpha = 0.1, Threads = Math.Min(Environment.ProcessorCount, 256), MinImprovement = 1.0, MaxEpochs = 1 };

    /// <summary>Every preset by its name (as <c>--preset</c> and the jobs API's <c>preset</c> take it).</summary>
    public static IReadOnlyDictionary<string, TrainingOptions> ByName { get; } = new Dictionary<string, TrainingOptions>(StringComparer.Ordinal)
    {
        ["default"] = new(),
        ["brown-default"] = BrownDefault,
        ["brown-elman"] = BrownElman,
        ["brown-best"] = BrownBest,
        ["rnnlm"] = Rnnlm,
        ["bench"] = Bench,
    };
}
