using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RnnLm.Engine.IO;

/// <summary>
/// The human-readable description shipped beside a model file (<c>name.json</c> beside <c>name.rnnlm</c>):
/// how it was made and how well it does.
/// </summary>
public sealed record ModelCard
{
    public string Name { get; init; } = "";

    /// <summary>Cell and output layer, e.g. "Elman RNN (sigmoid hidden layer), full softmax".</summary>
    public string Architecture { get; init; } = "";

    public int VocabularySize { get; init; }

    public int Embedding { get; init; }

    public int Hidden { get; init; }

    public string Output { get; init; } = "";

    public int Classes { get; init; }

    public long Parameters { get; init; }

    public string WeightEncoding { get; init; } = "";

    /// <summary>The training data: file names and the protocol they follow.</summary>
    public string TrainingData { get; init; } = "";

    public IReadOnlyDictionary<string, JsonElement> Hyperparameters { get; init; } = new Dictionary<string, JsonElement>();

    public int Seed { get; init; }

    public int Epochs { get; init; }

    public double WallSeconds { get; init; }

    public double WordsPerSecond { get; init; }

    public double? TrainPerplexity { get; init; }

    public double? ValidPerplexity { get; init; }

    public double? TestPerplexity { get; init; }

    public long? TestTokens { get; init; }

    /// <summary>Hex SHA-256 of the model file.</summary>
    public string Sha256 { get; init; } = "";

    public long FileBytes { get; init; }

    /// <summary>The exact command that produced the model.</summary>
    public string Command { get; init; } = "";

    public DateTimeOffset CreatedUtc { get; init; }

    /// <summary>A card's <see cref="Hyperparameters"/> for a training run with <paramref name="options"/>.</summary>
    public static IReadOnlyDictionary<string, JsonElement> HyperparametersOf(Training.TrainingOptions options) =>
        JsonSerializer.SerializeToElement(options, HyperparameterJson).EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());

    private static readonly JsonSerializerOptions HyperparameterJson = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>
    /// "Elman RNN (sigmoid hidden layer), full softmax", "RNN with a GRU hidden layer, class-factorized softmax (100 classes)",
    /// "RNN with an LSTM hidden layer (no peepholes), ...", and with direct connections
    /// "..., maximum-entropy direct connections (order 3, 10,000,000 entries)", and with tied embeddings
    /// "..., class-factorized softmax (100 classes), output vectors tied to the embeddings, ...".
    /// </summary>
    public static string ArchitectureOf(Model.ModelShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var cell = shape.Cell switch
        {
            Model.CellKind.Gru => "RNN with a GRU hidden layer",
            Model.CellKind.Lstm => "RNN with an LSTM hidden layer (no peepholes)",
            _ => "Elman RNN (sigmoid hidden layer)",
        };
        var output = shape.Output switch
        {
            Model.OutputKind.Full => "full softmax",
            Model.OutputKind.Tree => "hierarchical softmax (Huffman tree)",
            _ => $"class-factorized softmax ({shape.ClassCount} classes)",
        };
        var direct = shape.DirectSize > 0 ? $", maximum-entropy direct connections (order {shape.DirectOrder}, {shape.DirectSize.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} entries)" : "";
        var tied = shape.Tied ? ", output vectors tied to the embeddings" : "";
        var input = shape.NoProjection ? ", embeddings fed to the gates without a projection" : "";
        return $"{cell}{input}, {output}{tied}{direct}";
    }

    /// <summary>
    /// A card for a freshly trained model: architecture, dimensions, hyperparameters and the run's figures. The caller adds
    /// what only it knows (name, data, perplexities, the file's hash and size, the command).
    /// </summary>
    public static ModelCard FromTraining(Training.TrainingOptions options, Training.TrainingResult result)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(result);
        var shape = result.Model.Shape;
        return new ModelCard
        {
            Architecture = ArchitectureOf(shape),
            VocabularySize = shape.VocabularySize,
            Embedding = shape.Embedding,
            Hidden = shape.Hidden,
            Output = options.Output.ToString().ToLowerInvariant(),
            Classes = shape.ClassCount,
            Parameters = shape.ParameterCount,
            WeightEncoding = options.HalfPrecision ? "float16" : "float32",
            Hyperparameters = HyperparametersOf(options),
            Seed = options.Seed,
            Epochs = result.Epochs,
            WallSeconds = Math.Round(result.Seconds, 1),
            WordsPerSecond = Math.Round(result.WordsPerSecond),
            CreatedUtc = DateTimeOffset.UtcNow,
        };
    }

    /// <summary>Hex SHA-256 of a file.</summary>
    public static string HashFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>The card's path for a model file: the same name with a <c>.json</c> extension.</summary>
    public static string PathFor(string modelPath) => Path.ChangeExtension(modelPath, ".json");

    public static ModelCard? TryLoad(string path) =>
        File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllText(path), ModelCardJson.Default.ModelCard) : null;

    public void Save(string path)
    {
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, ModelCardJson.Default.ModelCard) + "\n");
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ModelCard))]
internal sealed partial class ModelCardJson : JsonSerializerContext;
