using System.Numerics;

namespace RnnLm.Engine.Model;

/// <summary>
/// The weights of a recurrent language model, row-major, in precision <typeparamref name="T"/>
/// (float for training and serving, double for gradient checks). Gradients use the same type.
/// </summary>
/// <remarks>
/// The step is e(t) = x(t)L, h(t) = cell(h(t-1), e(t)) (the sigmoid cell's is sigmoid(h(t-1)H + e(t)I + b1)),
/// yhat(t) = softmax(h(t)U + b2).
/// U is kept transposed, one row per word, so that a word's output vector is contiguous:
/// class-factorized outputs read only the rows of one class.
/// A gated cell has G = <see cref="ModelShape.Gates"/> blocks of Dh columns side by side in I, H and b1 (one per gate), so
/// that one product gives every gate's pre-activation; the sigmoid cell is the case G = 1.
/// The maximum-entropy direct connections are one flat hash table of weights, D.
/// </remarks>
public sealed class Parameters<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public Parameters(ModelShape shape)
        : this(shape, withOutput: true)
    {
    }

    private Parameters(ModelShape shape, bool withOutput)
    {
        Shape = shape.Validate();
        var (v, d, dh, c, g) = (shape.VocabularySize, shape.Embedding, shape.Hidden, shape.ClassCount, shape.Gates);
        Embedding = new T[(long)v * d];
        Input = shape.NoProjection ? [] : new T[d * g * dh];
        Recurrent = new T[dh * g * dh];
        HiddenBias = new T[g * dh];
        Output = !withOutput ? [] : shape.Tied ? Embedding : new T[(long)shape.OutputRows * dh];
        OutputBias = withOutput ? new T[shape.OutputRows] : [];
        ClassOutput = withOutput ? new T[c * dh] : [];
        ClassBias = withOutput ? new T[c] : [];
        Direct = withOutput ? new T[shape.DirectSize] : [];
    }

    /// <summary>
    /// A gradient buffer for the recurrent part only (L, I, H, b1), with empty output arrays: the trainer's output layer
    /// moves its weights in place (see OutputSink), so a |V|×Dh buffer for U would never be written.
    /// </summary>
    internal static Parameters<T> RecurrentGradients(ModelShape shape) => new(shape, withOutput: false);

    public ModelShape Shape { get; }

    /// <summary>L, [|V|, d]: row x is the embedding of word x.</summary>
    public T[] Embedding { get; }

    /// <summary>I, [d, G·Dh] (empty with <see cref="ModelShape.NoProjection"/>: L's rows are G·Dh wide and enter the gates as they are).</summary>
    public T[] Input { get; }

    /// <summary>H, [Dh, G·Dh].</summary>
    public T[] Recurrent { get; }

    /// <summary>b1, [G·Dh].</summary>
    public T[] HiddenBias { get; }

    /// <summary>Uᵀ, [|V|, Dh]: row w is word w's output vector. With <see cref="ModelShape.Tied"/> it is <see cref="Embedding"/> itself.
    /// A tree output keeps its inner nodes' vectors here instead, [|V| − 1, Dh], row n for node n of the <see cref="WordTree"/>.</summary>
    public T[] Output { get; }

    /// <summary>b2, [|V|] (a tree output's node biases: [|V| − 1]).</summary>
    public T[] OutputBias { get; }

    /// <summary>Class weights, [C, Dh] (empty for a full softmax).</summary>
    public T[] ClassOutput { get; }

    /// <summary>Class biases, [C] (empty for a full softmax).</summary>
    public T[] ClassBias { get; }

    /// <summary>D, the hashed weights of the direct connections (empty without them).</summary>
    public T[] Direct { get; }

    /// <summary>Every tensor with its name, in the order of the model file; a tied model's U is empty here (L holds it).</summary>
    public IEnumerable<(string Name, T[] Values)> Tensors()
    {
        yield return (TensorNames[0], Embedding);
        yield return (TensorNames[1], Input);
        yield return (TensorNames[2], Recurrent);
        yield return (TensorNames[3], HiddenBias);
        yield return (TensorNames[4], Shape.Tied ? [] : Output);
        yield return (TensorNames[5], OutputBias);
        yield return (TensorNames[6], ClassOutput);
        yield return (TensorNames[7], ClassBias);
        yield return (TensorNames[8], Direct);
    }

    /// <summary>The place of the tensor with this name in <see cref="Tensors"/>.</summary>
    /// <exception cref="ArgumentException">No tensor has the name.</exception>
    internal static int IndexOf(string name) =>
        Array.IndexOf(TensorNames, name) is var index and >= 0 ? index : throw new ArgumentException($"No tensor is named '{name}'.", nameof(name));

    // The names of Tensors(), in its order.
    private static readonly string[] TensorNames = ["L", "I", "H", "b1", "U", "b2", "Uc", "bc", "D"];

    /// <summary>Zeroes every tensor.</summary>
    public void Clear()
    {
        foreach (var (_, values) in Tensors())
        {
            Array.Clear(values);
        }
    }

    /// <summary>Copies every tensor into <paramref name="destination"/> of the same shape.</summary>
    public void CopyTo(Parameters<T> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (destination.Shape != Shape)
        {
            throw new ArgumentException("Shapes differ.", nameof(destination));
        }

        foreach (var ((_, from), (_, to)) in Tensors().Zip(destination.Tensors()))
        {
            from.CopyTo(to, 0);
        }
    }

    /// <summary>
    /// Fills weights with small uniform noise as rnnlm does (biases and direct connections at zero, but for an LSTM's forget
    /// gate, whose bias starts at 1 so that the memory is kept at first): every draw comes from one seeded generator in a
    /// fixed order, so the same seed gives the same bits.
    /// </summary>
    public void Initialize(int seed, double scale = 0.1)
    {
        var random = new Random(seed);
        Clear();
        foreach (var (name, values) in Tensors())
        {
            if (name.StartsWith('b') || name == "D")
            {
                continue;
            }

            for (var i = 0; i < values.Length; i++)
            {
                values[i] = T.CreateTruncating(((random.NextDouble() * 2) - 1) * scale);
            }
        }

        if (Shape.Cell == CellKind.Lstm)
        {
            HiddenBias.AsSpan(Shape.Hidden, Shape.Hidden).Fill(T.One); // [i | f | g | o]: block 1
        }
    }

    /// <summary>Converts to another precision (for example float weights to double for a gradient check).</summary>
    public Parameters<TOther> Convert<TOther>()
        where TOther : unmanaged, IFloatingPointIeee754<TOther>
    {
        var result = new Parameters<TOther>(Shape);
        foreach (var ((_, from), (_, to)) in Tensors().Zip(result.Tensors()))
        {
            for (var i = 0; i < from.Length; i++)
            {
                to[i] = TOther.CreateTruncating(from[i]);
            }
        }

        return result;
    }
}
