namespace RnnLm.Engine.Model;

/// <summary>
/// The binary tree of a hierarchical-softmax output (<see cref="OutputKind.Tree"/>): the |V| words are its leaves, and its
/// |V| − 1 inner nodes are numbered 0 .. |V| − 2, children before parents, so that node |V| − 2 is the root. Node n owns
/// row n of the output weights and bias. A word's path is the inner nodes from the root down to it, each with the branch
/// taken: P(left | n, h) = σ(h·u_n + b_n) and P(right | n, h) = σ(−(h·u_n + b_n)).
/// </summary>
/// <remarks>
/// The tree is stored as each inner node's two children: an id below |V| is a word, |V| + m is inner node m. A model file
/// keeps these ids, not the counts they came from, so a model reads back the very tree it was trained with.
/// </remarks>
public sealed class WordTree
{
    /// <summary>
    /// Deepest accepted path. A Huffman tree's depth grows with the logarithm of the total count (a path of depth k needs
    /// counts summing past the k-th Fibonacci number), so 64-bit counts stay below 92; a deeper tree read from a file is corrupt.
    /// </summary>
    public const int MaxDepth = 100;

    private readonly int[] _children; // [|V| − 1, 2] left and right child of each inner node
    private readonly int[] _pathStarts; // [|V| + 1] where each word's path starts in _nodes
    private readonly int[] _nodes; // [Σ depth] each word's inner nodes, root first
    private readonly byte[] _branches; // [Σ depth] 0 where the path goes left, 1 right

    /// <summary>Builds the tree from each inner node's children (left, right), node after node.</summary>
    /// <exception cref="ArgumentException">The children do not form one binary tree over the words with children numbered
    /// before their parents, or the tree is deeper than <see cref="MaxDepth"/>.</exception>
    public WordTree(IReadOnlyList<int> children, int vocabularySize)
    {
        ArgumentNullException.ThrowIfNull(children);
        if (vocabularySize < 2 || children.Count != 2 * (vocabularySize - 1))
        {
            throw new ArgumentException($"A tree over {vocabularySize} words has {vocabularySize - 1} inner nodes of two children each, not {children.Count} children.");
        }

        var v = vocabularySize;
        _children = [.. children];
        var parent = new int[(2 * v) - 1]; // [words, then inner nodes] the inner node above, −1 for none yet
        Array.Fill(parent, -1);
        for (var i = 0; i < _children.Length; i++)
        {
            var (node, child) = (i / 2, _children[i]);
            // A child numbered below its parent: no cycle, and every node's parents lead up to the root.
            if (child < 0 || child >= v + node)
            {
                throw new ArgumentException($"Inner node {node} has child {child}, outside 0..{v + node - 1}.");
            }

            if (parent[child] >= 0)
            {
                throw new ArgumentException($"{(child < v ? "Word" : "Inner node")} {(child < v ? child : child - v)} has two parents.");
            }

            parent[child] = node;
        }

        // Every node but the root has a parent: with 2(|V| − 1) children and none repeated, that holds already.
        var depth = new int[(2 * v) - 1];
        for (var node = v - 3; node >= 0; node--)
        {
            depth[v + node] = depth[v + parent[v + node]] + 1;
        }

        _pathStarts = new int[v + 1];
        for (var w = 0; w < v; w++)
        {
            var d = depth[v + parent[w]] + 1;
            if (d > MaxDepth)
            {
                throw new ArgumentException($"Word {w} lies {d} nodes deep, deeper than {MaxDepth}.");
            }

            _pathStarts[w + 1] = _pathStarts[w] + d;
        }

        _nodes = new int[_pathStarts[v]];
        _branches = new byte[_nodes.Length];
        for (var w = 0; w < v; w++)
        {
            // Up from the word, filling its path from the end.
            var (at, child) = (_pathStarts[w + 1], w);
            while (at > _pathStarts[w])
            {
                var node = parent[child];
                at--;
                _nodes[at] = node;
                _branches[at] = _children[(2 * node) + 1] == child ? (byte)1 : (byte)0;
                child = v + node;
            }
        }

        VocabularySize = v;
    }

    /// <summary>|V|, the number of leaves.</summary>
    public int VocabularySize { get; }

    /// <summary>Each inner node's children, [|V| − 1, 2]: an id below |V| is a word, |V| + m inner node m.</summary>
    public ReadOnlySpan<int> Children => _children;

    /// <summary>The inner nodes on <paramref name="word"/>'s path, root first.</summary>
    public ReadOnlySpan<int> Path(int word) => _nodes.AsSpan(_pathStarts[word], _pathStarts[word + 1] - _pathStarts[word]);

    /// <summary>The branch taken at each node of <see cref="Path"/>: 0 left, 1 right.</summary>
    public ReadOnlySpan<byte> Branches(int word) => _branches.AsSpan(_pathStarts[word], _pathStarts[word + 1] - _pathStarts[word]);

    /// <summary>The longest path.</summary>
    public int Depth
    {
        get
        {
            var deepest = 0;
            for (var w = 0; w < VocabularySize; w++)
            {
                deepest = Math.Max(deepest, _pathStarts[w + 1] - _pathStarts[w]);
            }

            return deepest;
        }
    }

    /// <summary>
    /// The Huffman tree of <paramref name="counts"/> (a count below 1 counts as 1), as word2vec and faster-rnnlm build it:
    /// the two least frequent nodes join under a new one, the less frequent on the left, until one is left. Ties go to the
    /// lower id (words before inner nodes, older inner nodes before newer), so the same counts always give the same tree.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than two counts.</exception>
    public static WordTree FromCounts(IReadOnlyList<long> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var v = counts.Count;
        if (v < 2)
        {
            throw new ArgumentException("A tree needs at least two words.", nameof(counts));
        }

        var queue = new PriorityQueue<int, (long Count, int Id)>(v);
        for (var w = 0; w < v; w++)
        {
            queue.Enqueue(w, (Math.Max(counts[w], 1), w));
        }

        var children = new int[2 * (v - 1)];
        for (var node = 0; node < v - 1; node++)
        {
            queue.TryDequeue(out var left, out var a);
            queue.TryDequeue(out var right, out var b);
            (children[2 * node], children[(2 * node) + 1]) = (left, right);
            queue.Enqueue(v + node, (a.Count + b.Count, v + node));
        }

        return new WordTree(children, v);
    }
}
