using RnnLm.Engine.Model;
using RnnLm.Engine.Training;

namespace RnnLm.Engine.Tests;

// Without a projection (ModelShape.NoProjection) a word's embedding row is its input to the gates: the gradient of its
// rows is the gates' delta itself, I has none, and every other tensor's must still match central differences.
public partial class GradientCheckTests
{
    public static TheoryData<CellKind, OutputKind, int, int, int, int> EveryCellWithoutAProjection() => EveryCellWith(Settings[1], Settings[2], Settings[6], Settings[8], Settings[13], Settings[16], Settings[17]);

    [Theory]
    [MemberData(nameof(EveryCellWithoutAProjection))]
    public void WithoutAProjectionEveryGradientMatchesCentralDifferences(CellKind cell, OutputKind output, int bptt, int block, int streams, int directOrder)
    {
        var check = GradientCheck.Prepare(cell, output, bptt, block, streams, directOrder, noProjection: true);
        Assert.Empty(check.Numeric.First().Input);
        AssertEveryGradientPasses(check, bptt, block);
        Assert.True(check.Errors(GradientTerms.Embedding).Where(e => e.Name == "L").Max(e => e.Error) > 1e-3, "the embedding rows' gradient is lost unnoticed");
    }

    [Theory]
    [InlineData(CellKind.Sigmoid, OutputKind.Full)]
    [InlineData(CellKind.Gru, OutputKind.Classes)]
    [InlineData(CellKind.Lstm, OutputKind.Tree)]
    public void WithoutAProjectionTheGradientWithDropoutMasksMatches(CellKind cell, OutputKind output)
    {
        var check = GradientCheck.Prepare(cell, output, bptt: 3, block: 2, streams: 2, dropout: Masks, noProjection: true);
        Assert.True(check.Errors(GradientTerms.None).All(e => e.Error < 1e-6), "the masks themselves must pass");
        Assert.True(check.Errors(GradientTerms.None, dropout: null).Where(e => e.Name == "L").Max(e => e.Error) > 1e-3, "the rows' gradient without masks passes");
    }

    [Theory]
    [InlineData(OutputKind.Full)]
    [InlineData(OutputKind.Classes)]
    public void ATiedModelWithoutAProjectionGetsBothGradientsInItsSharedMatrix(OutputKind output)
    {
        // The sigmoid cell's rows are Dh wide either way, so they can be the output vectors too.
        var check = GradientCheck.Prepare(CellKind.Sigmoid, output, bptt: 3, block: 2, streams: 2, tied: true, noProjection: true);
        AssertEveryGradientPasses(check, 3, 2);
        Assert.True(check.Errors(GradientTerms.Embedding).Where(e => e.Name == "L").Max(e => e.Error) > 1e-3, "the embedding's part is lost unnoticed");
    }
}
