using RnnLm.Engine.Model;

namespace RnnLm.Engine.Training;

/// <summary>Hyperparameters of a training run; the defaults follow Mikolov's rnnlm where it has one.</summary>
public sealed record TrainingOptions
{
    /// <summary>Dh, the hidden layer width.</summary>
    public int Hidden { get; init; } = 100;

    /// <summary>d, the embedding width.</summary>
    public int Embedding { get; init; } = 100;

    public OutputKind Output { get; init; } = OutputKind.Classes;

    /// <summary>Number of frequency classes for a class-factorized output layer.</summary>
    public int Classes { get; init; } = 100;

    /// <summary>Steps the error is carried back beyond each block (rnnlm's -bptt).</summary>
    public int Bptt { get; init; } = 4;

    /// <summary>Words per update and back-propagation sweep (rnnlm's -bptt-block).</summary>
    public int BpttBlock { get; init; } = 10;

    /// <summary>Sentence streams trained side by side: the batch that turns matrix-vector into matrix-matrix work.</summary>
    public int Streams { get; init; } = 1;

    /// <summary>Initial learning rate, per stream: each update moves the weights by alpha / streams times the summed gradient.</summary>
    public double Alpha { get; init; } = 0.1;

    /// <summary>L2 penalty: weights shrink by alpha·beta with every update.</summary>
    public double Beta { get; init; } = 1e-6;

    /// <summary>Each component of the error at the hidden layer's input is clipped to ±this.</summary>
    public double Clip { get; init; } = 15;

    public int MaxEpochs { get; init; } = 20;

    /// <summary>Once an epoch improves validation log-likelihood by less than this factor, alpha halves every epoch; at the next such epoch training stops.</summary>
    public double MinImprovement { get; init; } = 1.003;

    /// <summary>Words seen fewer times in the training text become &lt;unk&gt;.</summary>
    public int MinCount { get; init; } = 4;

    /// <summary>Threads for the matrix products; the result is the same bits for any count.</summary>
    public int Threads { get; init; } = 1;

    public int Seed { get; init; } = 1;

    /// <summary>Weights start uniform in ±this.</summary>
    public double InitScale { get; init; } = 0.1;

    /// <summary>Shuffle the training sentences each epoch (seeded); rnnlm reads them in order.</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Store weights as float16 in the saved model.</summary>
    public bool HalfPrecision { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public TrainingOptions Validate()
    {
        static void Check(bool ok, string name, string rule)
        {
            if (!ok)
            {
                throw new ArgumentException($"{name} {rule}.", name);
            }
        }

        Check(Hidden is >= 1 and <= 4096, nameof(Hidden), "must lie in 1..4096");
        Check(Embedding is >= 1 and <= 4096, nameof(Embedding), "must lie in 1..4096");
        Check(Enum.IsDefined(Output), nameof(Output), "must be full or classes");
        Check(Output == OutputKind.Full || Classes is >= 1 and <= 100_000, nameof(Classes), "must lie in 1..100000");
        Check(Bptt is >= 0 and <= 1000, nameof(Bptt), "must lie in 0..1000");
        Check(BpttBlock is >= 1 and <= 1000, nameof(BpttBlock), "must lie in 1..1000");
        Check(Streams is >= 1 and <= 4096, nameof(Streams), "must lie in 1..4096");
        Check(Alpha is > 0 and <= 100, nameof(Alpha), "must lie in (0, 100]");
        Check(Beta is >= 0 and < 1, nameof(Beta), "must lie in [0, 1)");
        Check(Clip > 0, nameof(Clip), "must be positive");
        Check(MaxEpochs is >= 1 and <= 1000, nameof(MaxEpochs), "must lie in 1..1000");
        Check(MinImprovement is >= 1 and <= 10, nameof(MinImprovement), "must lie in 1..10");
        Check(MinCount is >= 1, nameof(MinCount), "must be at least 1");
        Check(Threads is >= 1 and <= 256, nameof(Threads), "must lie in 1..256");
        Check(InitScale is > 0 and <= 10, nameof(InitScale), "must lie in (0, 10]");
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
public sealed record TrainingProgress(int Epoch, double Fraction, double WordsPerSecond, double TrainEntropy, double Alpha, IReadOnlyList<double> ValidPerplexity, TimeSpan Eta, bool EpochDone);

/// <summary>The outcome of a training run.</summary>
public sealed record TrainingResult(LanguageModel Model, int Epochs, double Seconds, double TrainingSeconds, long TrainingWords, double WordsPerSecond, double ValidPerplexity, IReadOnlyList<double> ValidPerplexityPerEpoch)
{
    /// <summary>The epoch of the checkpoint training resumed from, or 0 when it started afresh.</summary>
    public int ResumedFromEpoch { get; init; }
}
