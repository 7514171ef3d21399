using System.Text.Json;
using System.Text.Json.Serialization;
using RnnLm.Engine.IO;
using RnnLm.Engine.Model;

namespace RnnLm.Engine.Training;

/// <summary>Where a training run stands after an epoch: enough to continue as if it had never stopped.</summary>
internal sealed class CheckpointState
{
    public int Epoch { get; set; }

    public double Alpha { get; set; }

    public bool Halving { get; set; }

    public bool Stopped { get; set; }

    /// <summary>Epochs since alpha began halving that improved by less than the factor (a checkpoint without it: 0).</summary>
    public int SmallImprovements { get; set; }

    public double BestLogProb { get; set; }

    public double TrainingSeconds { get; set; }

    public long TrainingWords { get; set; }

    public List<double> ValidPerplexity { get; set; } = [];

    /// <summary>Training perplexity of each finished epoch, over its own pass (a checkpoint without it: empty).</summary>
    public List<double> TrainPerplexity { get; set; } = [];

    public TrainingOptions? Options { get; set; }

    /// <summary>The weights file of this epoch, beside the state (older checkpoints used a fixed name).</summary>
    public string? ModelFile { get; set; }

    /// <summary>The optimiser's state of this epoch (AdaGrad's accumulators, as the weights of a model file), or null.</summary>
    public string? OptimizerFile { get; set; }

    /// <summary>
    /// The learning-rate schedule after an epoch that reached <paramref name="validLogProb"/> where the best before it
    /// was <paramref name="previousBest"/>: rnnlm's rule on log-likelihoods, with <see cref="TrainingOptions.Patience"/>
    /// and <see cref="TrainingOptions.Schedule"/>.
    /// </summary>
    public void Advance(double validLogProb, double previousBest, TrainingOptions options)
    {
        // Written so that NaN (a diverged model) counts as too small an improvement.
        var small = !(validLogProb * options.MinImprovement >= previousBest);
        if (small)
        {
            if (Halving && ++SmallImprovements >= options.Patience)
            {
                Stopped = true;
            }

            Halving = true;
        }

        if (Halving && !Stopped && (small || options.Schedule == ScheduleKind.Rnnlm))
        {
            Alpha /= 2;
        }
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(CheckpointState))]
[JsonSerializable(typeof(TrainingOptions))]
internal sealed partial class CheckpointJson : JsonSerializerContext;

/// <summary>
/// A checkpoint is a model file (the weights training continues from), with an adaptive optimiser the optimiser's state
/// (its accumulators written as the weights of a second model file, with the same checks), and a JSON state beside them
/// that names them. Each epoch's files get new names and the state is replaced last, by a rename, so a process killed at
/// any moment leaves either the previous checkpoint or the new one, never a state paired with another epoch's weights.
/// </summary>
internal static class Checkpoint
{
    private const string LegacyModelName = "checkpoint.rnnlm";
    private const string StateName = "checkpoint.json";

    public static void Save(string directory, LanguageModel model, TrainingOptions options, CheckpointState state, LanguageModel? optimizer = null)
    {
        Directory.CreateDirectory(directory);
        var modelName = $"checkpoint-{state.Epoch}.rnnlm";
        ModelFile.Save(model, Path.Combine(directory, modelName));
        var optimizerName = optimizer is null ? null : $"checkpoint-{state.Epoch}.optimizer.rnnlm";
        if (optimizer is not null)
        {
            ModelFile.Save(optimizer, Path.Combine(directory, optimizerName!));
        }

        state.Options = options;
        state.ModelFile = modelName;
        state.OptimizerFile = optimizerName;
        AtomicFile.WriteAllText(Path.Combine(directory, StateName), JsonSerializer.Serialize(state, CheckpointJson.Default.CheckpointState));
        foreach (var old in Directory.EnumerateFiles(directory, "checkpoint*.rnnlm"))
        {
            var name = Path.GetFileName(old);
            if (name != modelName && name != optimizerName)
            {
                File.Delete(old);
            }
        }
    }

    /// <summary>The optimiser's accumulators of the checkpoint whose <paramref name="state"/> <see cref="TryLoad"/> read.</summary>
    /// <exception cref="ArgumentException">The state names no such file, or it is not there.</exception>
    public static Parameters<float> LoadAccumulators(string directory, CheckpointState state)
    {
        var path = state.OptimizerFile is { } name ? Path.Combine(directory, Path.GetFileName(name)) : null;
        if (path is null || !File.Exists(path))
        {
            throw new ArgumentException($"The checkpoint in '{directory}' has no optimiser state '{Path.GetFileName(path)}' to resume with.");
        }

        return ModelFile.Load(path).Parameters;
    }

    /// <summary>Loads the checkpoint in <paramref name="directory"/>, if there is one.</summary>
    /// <exception cref="ArgumentException">The checkpoint was made with other options or another training text.</exception>
    public static bool TryLoad(string directory, TrainingOptions options, Vocabulary vocabulary, out LanguageModel model, out CheckpointState state)
    {
        var statePath = Path.Combine(directory, StateName);
        (model, state) = (null!, null!);
        if (!File.Exists(statePath))
        {
            return false;
        }

        state = JsonSerializer.Deserialize(File.ReadAllText(statePath), CheckpointJson.Default.CheckpointState)
            ?? throw new ArgumentException($"Checkpoint state '{statePath}' is empty.");
        var modelPath = Path.Combine(directory, Path.GetFileName(state.ModelFile ?? LegacyModelName));
        if (!File.Exists(modelPath))
        {
            throw new ArgumentException($"The checkpoint in '{directory}' names weights '{Path.GetFileName(modelPath)}' that are not there.");
        }
        // The thread count and Hogwild change who trains which streams, not the recipe: a run may resume with others.
        if (state.Options is null || Recipe(state.Options, options) != Recipe(options, options))
        {
            throw new ArgumentException($"The checkpoint in '{directory}' was made with other training options; resume with the same ones or start afresh.");
        }

        model = ModelFile.Load(modelPath);
        if (!model.Vocabulary.Words.SequenceEqual(vocabulary.Words))
        {
            throw new ArgumentException($"The checkpoint in '{directory}' was made on another training text.");
        }

        return true;
    }

    private static TrainingOptions Recipe(TrainingOptions saved, TrainingOptions given) =>
        saved with { MaxEpochs = given.MaxEpochs, Threads = given.Threads, Hogwild = given.Hogwild };
}
