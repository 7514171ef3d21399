namespace RnnLm.Engine.Model;

/// <summary>How the output layer turns the hidden state into a distribution over the vocabulary.</summary>
public enum OutputKind
{
    /// <summary>One softmax over all |V| words: the research notes' model, exact and the most expensive.</summary>
    Full = 0,

    /// <summary>Class-factorized softmax (Mikolov 2011): P(w|h) = P(c(w)|h) · P(w|c(w), h).</summary>
    Classes = 1,
}

/// <summary>The dimensions of a model.</summary>
/// <param name="VocabularySize">|V|, the width of the output layer, <c>&lt;/s&gt;</c> and <c>&lt;unk&gt;</c> included.</param>
/// <param name="Embedding">d, the width of a word embedding.</param>
/// <param name="Hidden">Dh, the width of the hidden layer.</param>
/// <param name="Output">The kind of output layer.</param>
/// <param name="ClassCount">C, the number of word classes (0 for a full softmax).</param>
public sealed record ModelShape(int VocabularySize, int Embedding, int Hidden, OutputKind Output, int ClassCount)
{
    /// <summary>Largest accepted vocabulary: bounds memory before anything is allocated.</summary>
    public const int MaxVocabularySize = 5_000_000;

    /// <summary>Largest accepted embedding or hidden width.</summary>
    public const int MaxWidth = 8192;

    /// <summary>Largest accepted number of parameters: 1.6 GB of float32, so a model file stays under 2 GiB.</summary>
    public const long MaxParameters = 400_000_000;

    /// <summary>Throws <see cref="ArgumentException"/> when a dimension is out of range; returns this shape otherwise.</summary>
    public ModelShape Validate()
    {
        if (VocabularySize is < 2 or > MaxVocabularySize)
        {
            throw new ArgumentException($"Vocabulary size {VocabularySize} is outside 2..{MaxVocabularySize}.");
        }

        if (Embedding is < 1 or > MaxWidth || Hidden is < 1 or > MaxWidth)
        {
            throw new ArgumentException($"Embedding {Embedding} and hidden {Hidden} must lie in 1..{MaxWidth}.");
        }

        if (Output == OutputKind.Full && ClassCount != 0)
        {
            throw new ArgumentException("A full softmax has no classes.");
        }

        if (Output == OutputKind.Classes && (ClassCount < 1 || ClassCount > VocabularySize))
        {
            throw new ArgumentException($"Class count {ClassCount} is outside 1..{VocabularySize}.");
        }

        if (!Enum.IsDefined(Output))
        {
            throw new ArgumentException($"Unknown output kind {(int)Output}.");
        }

        if (ParameterCount > MaxParameters)
        {
            throw new ArgumentException($"The model would have {ParameterCount:N0} parameters, more than {MaxParameters:N0}.");
        }

        return this;
    }

    /// <summary>Total number of weights and biases.</summary>
    public long ParameterCount =>
        ((long)VocabularySize * Embedding) + ((long)Embedding * Hidden) + ((long)Hidden * Hidden) + Hidden
        + ((long)VocabularySize * Hidden) + VocabularySize + ((long)ClassCount * Hidden) + ClassCount;
}
