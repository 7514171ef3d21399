using RnnLm.Engine.Model;
using RnnLm.Engine.Training;

namespace RnnLm.Engine.Tests;

// Each cell's gradient terms: leaving out any one of them (BpttNetwork.Dropped) fails the check, and leaving out a term
// the cell does not have changes nothing.
public partial class GradientCheckTests
{
    // The terms each cell's gradient is made of.
    private static readonly Dictionary<CellKind, GradientTerms> TermsOf = new()
    {
        [CellKind.Sigmoid] = GradientTerms.Recurrent | GradientTerms.Embedding,
        [CellKind.Gru] = GradientTerms.Recurrent | GradientTerms.Embedding | GradientTerms.ResetGate | GradientTerms.UpdateGate
            | GradientTerms.Candidate | GradientTerms.UpdateCarry | GradientTerms.ResetCarry,
        [CellKind.Lstm] = GradientTerms.Recurrent | GradientTerms.Embedding | GradientTerms.InputGate | GradientTerms.ForgetGate
            | GradientTerms.CellInput | GradientTerms.OutputGate | GradientTerms.MemoryCarry,
    };

    [Theory]
    [InlineData(CellKind.Sigmoid, OutputKind.Full)]
    [InlineData(CellKind.Sigmoid, OutputKind.Classes)]
    [InlineData(CellKind.Gru, OutputKind.Full)]
    [InlineData(CellKind.Gru, OutputKind.Classes)]
    [InlineData(CellKind.Lstm, OutputKind.Full)]
    [InlineData(CellKind.Lstm, OutputKind.Classes)]
    [InlineData(CellKind.Sigmoid, OutputKind.Tree)]
    [InlineData(CellKind.Gru, OutputKind.Tree)]
    [InlineData(CellKind.Lstm, OutputKind.Tree)]
    public void LeavingOutAnyTermOfTheCellsGradientFailsTheCheck(CellKind cell, OutputKind output)
    {
        // Three steps back and blocks of two over two streams: every term has something to carry.
        var check = GradientCheck.Prepare(cell, output, bptt: 3, block: 2, streams: 2);
        Assert.True(check.Errors(GradientTerms.None).All(e => e.Error < 1e-6), "the full gradient must pass");
        foreach (var term in Enum.GetValues<GradientTerms>().Where(t => t != GradientTerms.None))
        {
            var worst = check.Errors(term).Max(e => e.Error);
            if ((TermsOf[cell] | (output == OutputKind.Tree ? GradientTerms.TreeHidden : GradientTerms.None)).HasFlag(term))
            {
                Assert.True(worst > 1e-3, $"{cell} without {term}: the check still passes (worst relative error {worst:E2})");
            }
            else
            {
                Assert.True(worst < 1e-6, $"{cell} has no {term} term, yet leaving it out changed the gradient (relative error {worst:E2})");
            }
        }
    }

    [Fact]
    public void EveryTermBelongsToSomeCellOrToTheTreeOutput()
    {
        var all = TermsOf.Values.Aggregate(GradientTerms.TreeHidden, (a, b) => a | b);
        Assert.All(Enum.GetValues<GradientTerms>(), term => Assert.True(all.HasFlag(term), $"{term} is no cell's"));
    }

    private static void AssertEveryGradientPasses(GradientCheck check, int bptt, int block)
    {
        foreach (var (checkedBlock, name, error) in check.Errors(GradientTerms.None))
        {
            Assert.True(error < 1e-6, $"{name}: relative error {error:E2} (block {checkedBlock}, bptt {bptt}, block size {block})");
        }
    }

    /// <summary>
    /// A model with random weights and biases, and the numerical gradient of a block in the middle (where truncation and
    /// earlier sentences both matter) and of the last one, against which analytic gradients are compared.
    /// </summary>
    private sealed class GradientCheck
    {
        private readonly Parameters<double> _parameters;
        private readonly ClassMap? _classes;
        private readonly int _bptt;
        private readonly int _block;
        private readonly int _streams;
        private readonly (int Block, Parameters<double> Numeric)[] _blocks;
        private readonly Dropout? _dropout;

        private GradientCheck(Parameters<double> parameters, ClassMap? classes, int bptt, int block, int streams, Dropout? dropout)
        {
            (_parameters, _classes, _bptt, _block, _streams, _dropout) = (parameters, classes, bptt, block, streams, dropout);
            var timeline = Timeline.Record(Sentences, streams);
            var blocks = (timeline.Steps + block - 1) / block;
            _blocks = [.. new[] { blocks / 2, blocks - 1 }.Select(b =>
                (b, NumericGradient(parameters, classes, timeline, bptt, b * block, Math.Min(timeline.Steps, (b + 1) * block), dropout: dropout)))];
        }

        /// <summary>The numerical gradient of each checked block (with the dropout's masks, when there is one).</summary>
        public IEnumerable<Parameters<double>> Numeric => _blocks.Select(b => b.Numeric);

        public static GradientCheck Prepare(CellKind cell, OutputKind output, int bptt, int block, int streams, int directOrder = 0, Dropout? dropout = null, bool tied = false,
                                            bool noProjection = false)
        {
            var (parameters, classes) = Model(cell, output, directOrder, seed: 7, tied, noProjection);
            return new GradientCheck(parameters, classes, bptt, block, streams, dropout);
        }

        /// <summary>The relative error of every tensor's analytic gradient, with <paramref name="dropped"/> left out, in each checked block.</summary>
        public IEnumerable<(int Block, string Name, double Error)> Errors(GradientTerms dropped) => Errors(dropped, _dropout);

        /// <summary>The errors of the analytic gradient computed with <paramref name="dropout"/>'s masks, whatever the numerical side used.</summary>
        public IEnumerable<(int Block, string Name, double Error)> Errors(GradientTerms dropped, Dropout? dropout)
        {
            foreach (var (block, numeric) in _blocks)
            {
                var analytic = AnalyticGradient(_parameters, _classes, _streams, _bptt, _block, block, dropped: dropped, dropout: dropout);
                foreach (var ((name, a), (_, n)) in analytic.Tensors().Zip(numeric.Tensors()))
                {
                    yield return (block, name, RelativeError(a, n));
                }
            }
        }
    }
}
