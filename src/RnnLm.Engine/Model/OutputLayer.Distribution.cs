using System.Numerics.Tensors;
using RnnLm.Engine.Numerics;

namespace RnnLm.Engine.Model;

// The next-word distribution of one hidden state: whole, or a class layer's parts, so that a caller after the most
// probable words can compute only the classes that may hold them. Either way a word's probability is the same bits:
// its class's logits are one product over the class's rows of U whether or not the other classes' are computed (a
// one-row product's element is the same dot product wherever it falls), then the direct weights, the bias, the softmax
// and the class's probability, element by element.
internal sealed partial class OutputLayer<T>
{
    private T[] _classProbabilities = []; // [C] of the last ClassDistribution

    /// <summary>
    /// Writes P(w | h, context) for every word w into <paramref name="probabilities"/> ([|V|]) for one hidden state ([Dh]);
    /// <paramref name="context"/> ([N − 1]) is read with direct connections only.
    /// </summary>
    /// <exception cref="ArgumentException">A span has the wrong length.</exception>
    public void Distribution(ReadOnlySpan<T> hidden, ReadOnlySpan<int> context, Span<T> probabilities)
    {
        var (v, dh) = (_p.Shape.VocabularySize, _p.Shape.Hidden);
        CheckState(hidden, context);
        if (probabilities.Length != v)
        {
            throw new ArgumentException("Distribution needs a |V|-wide destination.", nameof(probabilities));
        }

        if (_tree is not null)
        {
            TreeDistribution(_tree, hidden, probabilities);
            return;
        }

        if (_classes is null)
        {
            // The direct weights join before the bias, in the order Run adds them, so that both give the same bits.
            Span<ulong> keys = stackalloc ulong[Math.Max(1, _p.Shape.DirectOrder)];
            keys = Keys(context, keys);
            Gemm.Multiply<T>(hidden, dh, false, _p.Output, dh, true, probabilities, v, 1, v, dh, false, 1);
            AddWordWeights(keys, 0, probabilities);
            TensorPrimitives.Add(probabilities, _p.OutputBias, probabilities);
            Softmax.Compute<T>(probabilities, probabilities);
            return;
        }

        var classProbabilities = ClassDistribution(hidden, context);
        for (var cls = 0; cls < _classes.ClassCount; cls++)
        {
            ClassWords(hidden, context, cls, classProbabilities[cls], probabilities.Slice(_classes.Start(cls), _classes.Size(cls)));
        }
    }

    /// <summary>A class layer's P(c | h, context) for every class c, [C]: valid until the next call on this layer.</summary>
    /// <exception cref="ArgumentException">A span has the wrong length.</exception>
    /// <exception cref="InvalidOperationException">The layer is a full softmax.</exception>
    public ReadOnlySpan<T> ClassDistribution(ReadOnlySpan<T> hidden, ReadOnlySpan<int> context)
    {
        var (classes, dh) = (ClassesOrThrow(), _p.Shape.Hidden);
        CheckState(hidden, context);
        Span<ulong> keys = stackalloc ulong[Math.Max(1, _p.Shape.DirectOrder)];
        keys = Keys(context, keys);
        var c = classes.ClassCount;
        var classProbabilities = Scratch.Ensure(ref _classProbabilities, c).AsSpan(0, c);
        Gemm.Multiply<T>(hidden, dh, false, _p.ClassOutput, dh, true, classProbabilities, c, 1, c, dh, false, 1);
        AddClassWeights(keys, classProbabilities);
        TensorPrimitives.Add(classProbabilities, _p.ClassBias, classProbabilities);
        Softmax.Compute<T>(classProbabilities, classProbabilities);
        return classProbabilities;
    }

    /// <summary>
    /// P(w | h, context) = P(c | h, context) · P(w | c, h, context) for the words of class <paramref name="cls"/>, given its
    /// probability (from <see cref="ClassDistribution"/>), into <paramref name="words"/> ([size of the class]).
    /// </summary>
    /// <exception cref="ArgumentException">A span has the wrong length.</exception>
    /// <exception cref="InvalidOperationException">The layer is a full softmax.</exception>
    public void ClassWords(ReadOnlySpan<T> hidden, ReadOnlySpan<int> context, int cls, T classProbability, Span<T> words)
    {
        var (classes, dh) = (ClassesOrThrow(), _p.Shape.Hidden);
        CheckState(hidden, context);
        var (first, size) = (classes.Start(cls), classes.Size(cls));
        if (words.Length != size)
        {
            throw new ArgumentException("The destination must hold the class's words.", nameof(words));
        }

        Span<ulong> keys = stackalloc ulong[Math.Max(1, _p.Shape.DirectOrder)];
        keys = Keys(context, keys);
        Gemm.Multiply<T>(hidden, dh, false, _p.Output.AsSpan(first * dh, size * dh), dh, true, words, size, 1, size, dh, false, 1);
        AddWordWeights(keys, cls, words);
        TensorPrimitives.Add(words, _p.OutputBias.AsSpan(first, size), words);
        Softmax.Compute<T>(words, words);
        TensorPrimitives.Multiply(words, classProbability, words);
    }

    private void CheckState(ReadOnlySpan<T> hidden, ReadOnlySpan<int> context)
    {
        if (hidden.Length != _p.Shape.Hidden || (Direct && context.Length != ContextWidth))
        {
            throw new ArgumentException("A distribution needs one hidden state and its context.");
        }
    }

    private ClassMap ClassesOrThrow() => _classes ?? throw new InvalidOperationException("A full softmax has no classes.");

    // The keys of the context's features (none without direct connections), in keys' room.
    private Span<ulong> Keys(ReadOnlySpan<int> context, Span<ulong> keys) => Direct ? keys[..DirectFeatures.Keys(context, keys)] : [];
}
