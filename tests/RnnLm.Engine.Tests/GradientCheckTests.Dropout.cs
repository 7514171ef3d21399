using RnnLm.Engine.Model;
using RnnLm.Engine.Training;

namespace RnnLm.Engine.Tests;

// The gradient with dropout's masks fixed: the objective is then deterministic, and the trainer's gradient must be its
// gradient, for every cell and both outputs.
public partial class GradientCheckTests
{
    private static readonly Dropout Masks = new(0.3, seed: 5, epoch: 2);

    // Every other setting of the plain check: both outputs, bptt 1 and 3, blocks of 1 to 3 steps, one to three streams, with
    // and without direct connections.
    public static TheoryData<CellKind, OutputKind, int, int, int, int> EveryCellWithSomeSettings() => EveryCellWith([.. Settings.Where((_, i) => i % 2 == 0)]);

    [Theory]
    [MemberData(nameof(EveryCellWithSomeSettings))]
    public void EveryParameterGradientWithDropoutMasksMatchesCentralDifferences(CellKind cell, OutputKind output, int bptt, int block, int streams, int directOrder)
    {
        AssertEveryGradientPasses(GradientCheck.Prepare(cell, output, bptt, block, streams, directOrder, Masks), bptt, block);
    }

    [Theory]
    [InlineData(CellKind.Sigmoid, OutputKind.Full)]
    [InlineData(CellKind.Gru, OutputKind.Classes)]
    [InlineData(CellKind.Lstm, OutputKind.Classes)]
    public void TheCheckWithMasksFailsWithoutThemOrWithAnotherEpochs(CellKind cell, OutputKind output)
    {
        var check = GradientCheck.Prepare(cell, output, bptt: 3, block: 2, streams: 2, dropout: Masks);
        var plain = GradientCheck.Prepare(cell, output, bptt: 3, block: 2, streams: 2);
        foreach (var ((name, a), (_, b)) in check.Numeric.First().Tensors().Zip(plain.Numeric.First().Tensors()).Where(t => t.First.Values.Length > 0))
        {
            Assert.True(RelativeError(a, b) > 1e-3, $"{name}: the masks hardly change its numerical gradient, so the check cannot see them");
        }

        Assert.True(check.Errors(GradientTerms.None, dropout: null).Max(e => e.Error) > 1e-3, "the analytic gradient without masks passes");
        Assert.True(check.Errors(GradientTerms.None, new Dropout(0.3, seed: 5, epoch: 3)).Max(e => e.Error) > 1e-3, "another epoch's masks pass");
        Assert.True(check.Errors(GradientTerms.None).All(e => e.Error < 1e-6), "the masks themselves must pass");
    }
}
