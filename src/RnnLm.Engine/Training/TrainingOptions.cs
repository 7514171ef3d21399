using System.Text.Json.Serialization;
using RnnLm.Engine.Model;

namespace RnnLm.Engine.Training;

/// <summary>
/// Hyperparameters of a training run. The defaults are the recipe of the shipped Elman model (models/brown-elman.json,
/// the research notes' model) but for its seed and threads; names, limits and descriptions of every setting are in <see cref="TrainingSettings"/>,
/// and named recipes in <see cref="TrainingPresets"/>.
/// </summary>
public sealed record TrainingOptions
{
    public int Hidden { get; init; } = 100;

    public int Embedding { get; init; } = 100;

    /// <summary>The hidden layer: the research notes' sigmoid (Elman) layer, a GRU or an LSTM.</summary>
    public CellKind Cell { get; init; } = CellKind.Sigmoid;

    public OutputKind Output { get; init; } = OutputKind.Classes;

    public int Classes { get; init; } = 100;

    /// <summary>Entries of the direct connections' hash table (0: none); see <see cref="DirectFeatures"/>.</summary>
    public int Direct { get; init; }

    /// <summary>The direct connections' n-gram order: features of the last 0..order − 1 words (used when <see cref="Direct"/> is on).</summary>
    public int DirectOrder { get; init; } = 3;

    public int Bptt { get; init; } = 4;

    public int BpttBlock { get; init; } = 10;

    /// <summary>The batch that turns matrix-vector into matrix-matrix work.</summary>
    public int Streams { get; init; } = 8;

    /// <summary>Per stream: each update moves the weights by alpha / streams times the summed gradient.</summary>
    public double Alpha { get; init; } = 0.15;

    public double Beta { get; init; } = 1e-6;

    public double Clip { get; init; } = 15;

    /// <summary>How the weights move with their gradient: plain SGD (rnnlm's rule) or AdaGrad.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Sgd;

    /// <summary>The most the norm of a block's whole-model gradient may have (per stream); 0 turns it off.</summary>
    public double ClipNorm { get; init; }

    /// <summary>The probability of dropping each unit of e(t) into the hidden layer and of h(t) into the output layer; 0 turns it off.</summary>
    public double Dropout { get; init; }

    public int MaxEpochs { get; init; } = 30;

    /// <summary>The output word vectors are the input embeddings (needs <see cref="Embedding"/> = <see cref="Hidden"/>).</summary>
    public bool Tie { get; init; }

    /// <summary>
    /// A word's embedding row enters the gates as it is, with no projection I (rnnlm's and faster-rnnlm's input layer):
    /// the rows are G·Dh wide (<see cref="Model.ModelShape.NoProjection"/>), and <see cref="Embedding"/> does not apply.
    /// With the sgd optimizer a row steps by <see cref="Alpha"/> at each use, as rnnlm's input weights do, not by alpha / streams.
    /// </summary>
    public bool NoProjection { get; init; }

    /// <summary>d as the model gets it: <see cref="Embedding"/>, or the gates' width (G·Dh) without a projection.</summary>
    [JsonIgnore]
    public int EmbeddingWidth => NoProjection ? ModelShape.GatesOf(Cell) * Hidden : Embedding;

    public double MinImprovement { get; init; } = 1.001;

    /// <summary>Epochs, once alpha halves, that may improve by less than <see cref="MinImprovement"/> before training stops (rnnlm: 1).</summary>
    public int Patience { get; init; } = 1;

    /// <summary>Whether alpha, once it has begun to halve, halves every epoch (rnnlm) or only after each small improvement.</summary>
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Rnnlm;

    public int MinCount { get; init; } = 4;

    public int Threads { get; init; } = 1;

    /// <summary>
    /// With <see cref="Threads"/> ≥ 2, the threads train their own shares of the streams at once and update the shared weights
    /// without locks (Hogwild: Recht et al. 2011, as faster-rnnlm trains): faster, but not reproducible bit for bit.
    /// </summary>
    public bool Hogwild { get; init; }

    public int Seed { get; init; } = 1;

    public double InitScale { get; init; } = 0.1;

    public bool Shuffle { get; init; } = true;

    public bool HalfPrecision { get; init; }

    /// <summary>Every problem as (setting name, message) pairs, in the standard catalog's order; empty when all is allowed.</summary>
    public IReadOnlyList<(string Field, string Message)> Check() => TrainingSettings.Standard.Check(this);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range (its camelCase name as ParamName).</summary>
    public TrainingOptions Validate()
    {
        if (Check() is [var (field, message), ..])
        {
            throw new ArgumentException($"{field}: {message}", field);
        }

        return this;
    }
}

/// <summary>Progress of a training run, reported through a callback.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Fraction">Fraction of this epoch's training words done.</param>
/// <param name="WordsPerSecond">Training speed over this epoch so far (training passes only).</param>
/// <param name="TrainEntropy">Mean −log2 P over this epoch's training words so far, in bits.</param>
/// <param name="Alpha">Current learning rate.</param>
/// <param name="ValidPerplexity">Validation perplexity after each finished epoch so far.</param>
/// <param name="Eta">Estimated time to the end of this epoch.</param>
/// <param name="EpochDone">True for the report that closes an epoch (after validation).</param>
/// <param name="TrainPerplexity">Training perplexity of each finished epoch so far (2^<paramref name="TrainEntropy"/> of its last report).</param>
public sealed record TrainingProgress(int Epoch, double Fraction, double WordsPerSecond, double TrainEntropy, double Alpha, IReadOnlyList<double> ValidPerplexity, TimeSpan Eta, bool EpochDone,
                                      IReadOnlyList<double>? TrainPerplexity = null);

/// <summary>The outcome of a training run.</summary>
public sealed record TrainingResult(LanguageModel Model, int Epochs, double Seconds, double TrainingSeconds, long TrainingWords, double WordsPerSecond, double ValidPerplexity, IReadOnlyList<double> ValidPerplexityPerEpoch)
{
    /// <summary>The epoch of the checkpoint training resumed from, or 0 when it started afresh.</summary>
    public int ResumedFromEpoch { get; init; }
}
