namespace RnnLm.Engine.Model;

/// <summary>How the output layer turns the hidden state into a distribution over the vocabulary.</summary>
public enum OutputKind
{
    /// <summary>One softmax over all |V| words: the research notes' model, exact and the most expensive.</summary>
    Full = 0,

    /// <summary>Class-factorized softmax (Mikolov 2011): P(w|h) = P(c(w)|h) · P(w|c(w), h).</summary>
    Classes = 1,

    /// <summary>
    /// Hierarchical softmax over a binary Huffman tree of the training counts (Morin and Bengio 2005, word2vec, faster-rnnlm):
    /// P(w|h) = Π σ(s_n · (h·u_n + b_n)) over the |V| − 1 inner nodes n on w's path, s_n = ±1 by the branch taken.
    /// </summary>
    Tree = 2,
}

/// <summary>How the hidden layer carries the state from one step to the next.</summary>
public enum CellKind
{
    /// <summary>The research notes' Elman layer: h(t) = sigmoid(h(t−1)H + e(t)I + b1).</summary>
    Sigmoid = 0,

    /// <summary>Gated recurrent unit (Cho et al. 2014): update and reset gates and a tanh candidate.</summary>
    Gru = 1,

    /// <summary>Long short-term memory with input, forget and output gates and no peepholes; the state is h and a memory c.</summary>
    Lstm = 2,
}

/// <summary>The dimensions of a model.</summary>
/// <param name="VocabularySize">|V|, the width of the output layer, <c>&lt;/s&gt;</c> and <c>&lt;unk&gt;</c> included.</param>
/// <param name="Embedding">d, the width of a word embedding.</param>
/// <param name="Hidden">Dh, the width of the hidden layer.</param>
/// <param name="Output">The kind of output layer.</param>
/// <param name="ClassCount">C, the number of word classes (0 for a full softmax).</param>
/// <param name="Cell">The kind of hidden layer.</param>
/// <param name="DirectSize">Entries in the hash table of maximum-entropy direct connections (0: none).</param>
/// <param name="DirectOrder">The n-gram order of the direct connections' features, 1..<see cref="MaxDirectOrder"/> (0 without them).</param>
/// <param name="Tied">The output word vectors are the input embeddings (U = Lᵀ, Press and Wolf 2017): one |V|×d matrix serves
/// both, which needs d = Dh.</param>
/// <param name="NoProjection">A word's embedding row is its input to the gates itself, with no projection I (rnnlm's and
/// faster-rnnlm's input layer): e(t) enters as e(t)·1, so d = G·Dh and I is empty. It saves the d·G·Dh multiply-adds of
/// e(t)I and twice as many on the way back.</param>
public sealed record ModelShape(int VocabularySize, int Embedding, int Hidden, OutputKind Output, int ClassCount,
    CellKind Cell = CellKind.Sigmoid, int DirectSize = 0, int DirectOrder = 0, bool Tied = false, bool NoProjection = false)
{
    /// <summary>Largest accepted vocabulary: bounds memory before anything is allocated.</summary>
    public const int MaxVocabularySize = 5_000_000;

    /// <summary>Largest accepted embedding or hidden width.</summary>
    public const int MaxWidth = 8192;

    /// <summary>Largest accepted number of parameters: 1.6 GB of float32, so a model file stays under 2 GiB.</summary>
    public const long MaxParameters = 400_000_000;

    /// <summary>Highest n-gram order of the direct connections: features see at most this many words minus one.</summary>
    public const int MaxDirectOrder = 5;

    /// <summary>How many Dh-wide blocks of columns the input and recurrent weights and the hidden bias hold: one per gate (or candidate).</summary>
    public int Gates => GatesOf(Cell);

    /// <summary>The number of Dh-wide gate blocks of a cell kind: 1 for the sigmoid cell, 3 for a GRU, 4 for an LSTM.</summary>
    public static int GatesOf(CellKind cell) => cell switch
    {
        CellKind.Gru => 3,
        CellKind.Lstm => 4,
        _ => 1,
    };

    /// <summary>The width of I's rows, and of L's when there is no projection: G·Dh.</summary>
    public int GateWidth => Gates * Hidden;

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

        if (Output != OutputKind.Classes && ClassCount != 0)
        {
            throw new ArgumentException(Output == OutputKind.Tree ? "A tree output has no classes." : "A full softmax has no classes.");
        }

        if (Output == OutputKind.Tree && (Tied || DirectSize != 0))
        {
            throw new ArgumentException(Tied
                ? "A tree output's node vectors cannot be tied to the word embeddings (they belong to inner nodes, not words)."
                : "A tree output does not support direct connections.");
        }

        if (Output == OutputKind.Classes && (ClassCount < 1 || ClassCount > VocabularySize))
        {
            throw new ArgumentException($"Class count {ClassCount} is outside 1..{VocabularySize}.");
        }

        if (!Enum.IsDefined(Output))
        {
            throw new ArgumentException($"Unknown output kind {(int)Output}.");
        }

        if (!Enum.IsDefined(Cell))
        {
            throw new ArgumentException($"Unknown cell kind {(int)Cell}.");
        }

        if (DirectSize < 0 || (DirectSize == 0 ? DirectOrder != 0 : DirectOrder is < 1 or > MaxDirectOrder))
        {
            throw new ArgumentException(DirectSize < 0
                ? $"Direct connections' size {DirectSize} is negative."
                : DirectSize == 0
                    ? $"Direct order {DirectOrder} without direct connections (size 0)."
                    : $"Direct order {DirectOrder} is outside 1..{MaxDirectOrder}.");
        }

        if (Tied && Embedding != Hidden)
        {
            throw new ArgumentException($"Tied embeddings need the embedding width ({Embedding}) to equal the hidden width ({Hidden}).");
        }

        if (NoProjection && Embedding != GateWidth)
        {
            throw new ArgumentException($"Without a projection the embedding width ({Embedding}) must be the gates' width, {Gates} × {Hidden} = {GateWidth}.");
        }

        if (ParameterCount > MaxParameters)
        {
            throw new ArgumentException($"The model would have {ParameterCount:N0} parameters, more than {MaxParameters:N0}.");
        }

        return this;
    }

    /// <summary>Rows of the output matrix U and entries of its bias b2: one per word, or one per inner node of a tree (|V| − 1).</summary>
    public int OutputRows => Output == OutputKind.Tree ? VocabularySize - 1 : VocabularySize;

    /// <summary>Total number of weights and biases (a tied model counts its shared matrix once).</summary>
    public long ParameterCount =>
        ((long)VocabularySize * Embedding) + (((NoProjection ? 0 : (long)Embedding * Hidden) + ((long)Hidden * Hidden) + Hidden) * Gates)
        + (Tied ? 0 : (long)OutputRows * Hidden) + OutputRows + ((long)ClassCount * Hidden) + ClassCount + DirectSize;
}
