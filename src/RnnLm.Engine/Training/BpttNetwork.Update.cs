using RnnLm.Engine.Model;
using RnnLm.Engine.Numerics;

namespace RnnLm.Engine.Training;

// The step after the whole block (an Optimizer): every tensor's gradient, the output layer's too, is summed in the
// gradient buffer first; then its norm over the whole model (when clipping by norm) and the optimiser's step, over the
// pieces of the model that the block touched.
internal sealed partial class BpttNetwork<T>
{
    // Rows of U in one piece: small enough to share a class's rows out over the team, large enough to be worth a piece.
    private const int OutputRowsPerPiece = 64;

    // Entries of D in one piece, likewise.
    private const int DirectEntriesPerPiece = 4096;

    private readonly List<Piece> _pieces = [];
    private double[] _pieceNorms = []; // [pieces] Σ g² of each piece
    private int[] _pieceSplit = []; // [team + 1] the first piece of each member
    private bool[] _classTouched = []; // [C] a target of the block is in the class
    private bool[] _nodeTouched = []; // [|V| − 1] a target of the block has the tree node on its path
    private readonly List<(int Start, int Length)> _directRuns = []; // the runs of D the block used, then their union
    private (T[][] Weights, T[][] Gradients, T[][] Accumulators, bool[] Decays)? _tensors;
    private Parameters<T>? _stepGradients; // the buffer _tensors' gradients are of
    private T _stepScale = T.One;
    private Action<int>? _normSlice;
    private Action<int>? _stepSlice;

    /// <summary>
    /// When set, every block ends with this optimiser's step over every tensor the block touched (the embedding rows
    /// used, I, H, b1, the entries of D its features used, the output rows and biases of the targets' classes, of their tree paths' nodes or of the
    /// whole vocabulary, the class layer),
    /// after the whole block's gradient is known: the output layer's sink must then point at the same gradient buffer as
    /// <see cref="RunBlock"/>'s, with scale 1, and <see cref="Step"/> must be null.
    /// </summary>
    public Optimizer<T>? Optimizer { get; init; }

    // A span of one tensor (by its index in Parameters.Tensors()) that the step treats as one piece of work.
    private readonly record struct Piece(int Tensor, int Offset, int Length);

    private void TakeStep(Parameters<T> g, int rows)
    {
        if (Step is not null || g.Output.Length != _p.Output.Length)
        {
            throw new InvalidOperationException("An optimiser's step needs a gradient buffer for every tensor, and no in-place step.");
        }

        var optimizer = Optimizer!;
        if (_stepGradients != g)
        {
            _tensors = (Tensors(_p), Tensors(g), optimizer.Accumulators is { } a ? Tensors(a) : [], [.. _p.Tensors().Select(t => !t.Name.StartsWith('b'))]);
            _stepGradients = g;
        }

        PlacePieces(rows);
        SplitPieces();
        _stepScale = optimizer.Scale;
        if (optimizer.ClipNorm > 0)
        {
            _pieceNorms = _pieceNorms.Length >= _pieces.Count ? _pieceNorms : new double[_pieces.Count];
            _team.Run(_normSlice ??= NormSlice);
            double squared = 0;
            for (var i = 0; i < _pieces.Count; i++)
            {
                squared += _pieceNorms[i];
            }

            _stepScale = optimizer.ClippedScale(squared);
        }

        _team.Run(_stepSlice ??= StepSlice);
    }

    // The pieces of this block, in an order that does not depend on the team: the embedding rows in the order of their
    // first use on the stack, the rows of I and H, b1; then the entries of D used, in table order, and the output layer's
    // rows.
    private void PlacePieces(int rows)
    {
        var (d, dh, width) = (_p.Shape.Embedding, _p.Shape.Hidden, _width);
        _pieces.Clear();
        var used = _stacked * _streams;
        for (var r = 0; r < used; r++)
        {
            var x = _inputStack[r];
            if (x >= 0 && !_marked[x])
            {
                _marked[x] = true;
                _pieces.Add(new Piece(EmbeddingTensor, x * d, d));
            }
        }

        for (var r = 0; r < used; r++)
        {
            if (_inputStack[r] >= 0)
            {
                _marked[_inputStack[r]] = false;
            }
        }

        AddRows(InputTensor, 0, _p.Input.Length / width, width, 1); // none without a projection
        AddRows(RecurrentTensor, 0, dh, width, 1);
        _pieces.Add(new Piece(HiddenBiasTensor, 0, width));
        PlaceDirectPieces(rows);
        if (_tree is not null)
        {
            PlaceNodePieces(rows);
            return;
        }

        if (_classes is not { } classes)
        {
            AddRows(OutputTensor, 0, _p.Shape.OutputRows, dh, OutputRowsPerPiece);
            _pieces.Add(new Piece(OutputBiasTensor, 0, _p.Shape.OutputRows));
            return;
        }

        if (_classTouched.Length < classes.ClassCount)
        {
            _classTouched = new bool[classes.ClassCount];
        }

        for (var r = 0; r < rows; r++)
        {
            _classTouched[classes.ClassOf(_blockTargets[r])] = true;
        }

        for (var c = 0; c < classes.ClassCount; c++)
        {
            if (_classTouched[c])
            {
                _classTouched[c] = false;
                AddRows(OutputTensor, classes.Start(c), classes.Size(c), dh, OutputRowsPerPiece);
                _pieces.Add(new Piece(OutputBiasTensor, classes.Start(c), classes.Size(c)));
            }
        }

        _pieces.Add(new Piece(ClassOutputTensor, 0, classes.ClassCount * dh));
        _pieces.Add(new Piece(ClassBiasTensor, 0, classes.ClassCount));
    }

    // A tree output's rows of U and entries of b2 of the nodes on the block's targets' paths, in runs of consecutive nodes.
    private void PlaceNodePieces(int rows)
    {
        var (nodes, dh) = (_p.Shape.OutputRows, _p.Shape.Hidden);
        if (_nodeTouched.Length < nodes)
        {
            _nodeTouched = new bool[nodes];
        }

        for (var r = 0; r < rows; r++)
        {
            foreach (var n in _tree!.Path(_blockTargets[r]))
            {
                _nodeTouched[n] = true;
            }
        }

        for (var n = 0; n < nodes;)
        {
            if (!_nodeTouched[n])
            {
                n++;
                continue;
            }

            var first = n;
            while (n < nodes && _nodeTouched[n])
            {
                _nodeTouched[n++] = false;
            }

            AddRows(OutputTensor, first, n - first, dh, OutputRowsPerPiece);
            _pieces.Add(new Piece(OutputBiasTensor, first, n - first));
        }
    }

    // The entries of D the block used: the union of its runs (several rows' features may share entries, and hashing makes
    // runs overlap), as disjoint pieces in table order, so that each entry takes one step and counts once in the norm.
    private void PlaceDirectPieces(int rows)
    {
        var size = _p.Shape.DirectSize;
        if (size == 0)
        {
            return;
        }

        _directRuns.Clear();
        _output.DirectRuns(_blockTargets, rows, _directRuns);
        for (int i = 0, count = _directRuns.Count; i < count; i++)
        {
            var (start, length) = _directRuns[i];
            if (length > size - start)
            {
                // The part past the end wraps to the table's start.
                _directRuns[i] = (start, size - start);
                _directRuns.Add((0, Math.Min(size, length - (size - start))));
            }
        }

        _directRuns.Sort();
        var (from, to) = (0, -1);
        foreach (var (start, length) in _directRuns)
        {
            if (start > to)
            {
                AddRuns(from, to);
                from = start;
            }

            to = Math.Max(to, start + length);
        }

        AddRuns(from, to);

        void AddRuns(int first, int end)
        {
            for (var entry = first; entry < end; entry += DirectEntriesPerPiece)
            {
                _pieces.Add(new Piece(DirectTensor, entry, Math.Min(DirectEntriesPerPiece, end - entry)));
            }
        }
    }

    // Rows [first, first + count) of a tensor of rows of the given width, rowsPerPiece to a piece.
    private void AddRows(int tensor, int first, int count, int width, int rowsPerPiece)
    {
        for (var r = 0; r < count; r += rowsPerPiece)
        {
            _pieces.Add(new Piece(tensor, (first + r) * width, Math.Min(rowsPerPiece, count - r) * width));
        }
    }

    // Consecutive pieces to each member, about the same number of elements each.
    private void SplitPieces()
    {
        var size = _team.Size;
        if (_pieceSplit.Length < size + 1)
        {
            _pieceSplit = new int[size + 1];
        }

        long total = 0;
        foreach (var piece in _pieces)
        {
            total += piece.Length;
        }

        var (member, done) = (1, 0L);
        for (var i = 0; i < _pieces.Count; i++)
        {
            while (member < size && done >= total * member / size)
            {
                _pieceSplit[member++] = i;
            }

            done += _pieces[i].Length;
        }

        while (member <= size)
        {
            _pieceSplit[member++] = _pieces.Count;
        }
    }

    private void NormSlice(int member)
    {
        var gradients = _tensors!.Value.Gradients;
        for (var i = _pieceSplit[member]; i < _pieceSplit[member + 1]; i++)
        {
            var piece = _pieces[i];
            _pieceNorms[i] = Updates.SumOfSquares<T>(gradients[piece.Tensor].AsSpan(piece.Offset, piece.Length));
        }
    }

    private void StepSlice(int member)
    {
        var (weights, gradients, accumulators, decays) = _tensors!.Value;
        var optimizer = Optimizer!;
        for (var i = _pieceSplit[member]; i < _pieceSplit[member + 1]; i++)
        {
            var piece = _pieces[i];
            var accumulator = accumulators.Length == 0 ? [] : accumulators[piece.Tensor].AsSpan(piece.Offset, piece.Length);
            optimizer.Step(weights[piece.Tensor].AsSpan(piece.Offset, piece.Length), gradients[piece.Tensor].AsSpan(piece.Offset, piece.Length),
                           accumulator, _stepScale, decays[piece.Tensor]);
        }
    }

    private static T[][] Tensors(Parameters<T> parameters) => [.. parameters.Tensors().Select(t => t.Values)];

    // Indices into Parameters.Tensors().
    private static readonly int EmbeddingTensor = Parameters<T>.IndexOf("L");
    private static readonly int InputTensor = Parameters<T>.IndexOf("I");
    private static readonly int RecurrentTensor = Parameters<T>.IndexOf("H");
    private static readonly int HiddenBiasTensor = Parameters<T>.IndexOf("b1");
    private static readonly int OutputTensor = Parameters<T>.IndexOf("U");
    private static readonly int OutputBiasTensor = Parameters<T>.IndexOf("b2");
    private static readonly int ClassOutputTensor = Parameters<T>.IndexOf("Uc");
    private static readonly int ClassBiasTensor = Parameters<T>.IndexOf("bc");
    private static readonly int DirectTensor = Parameters<T>.IndexOf("D");
}
