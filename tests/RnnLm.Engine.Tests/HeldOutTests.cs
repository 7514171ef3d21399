using RnnLm.Engine.Training;

namespace RnnLm.Engine.Tests;

public sealed class HeldOutTests
{
    [Theory]
    [InlineData(2, 0.1, 1)]
    [InlineData(10, 0.1, 1)]
    [InlineData(300, 0.2, 60)]
    [InlineData(1001, 0.5, 500)]
    public void AFractionHoldsOutARoundedSeededSubsetAndLeavesTheRestInOrder(int count, double fraction, int held)
    {
        var sentences = Enumerable.Range(0, count).Select(i => new[] { $"w{i}" }).ToArray();

        var (train, valid) = HeldOut.Split(sentences, fraction, seed: 5);
        var again = HeldOut.Split(sentences, fraction, seed: 5);
        var other = HeldOut.Split(sentences, fraction, seed: 6);

        Assert.Equal(held, valid.Count);
        Assert.Equal(count - held, train.Count);
        Assert.Equal(sentences.Select(s => s[0]).Order(), train.Concat(valid).Select(s => s[0]).Order());
        Assert.Equal(train.Select(s => int.Parse(s[0][1..])).Order(), train.Select(s => int.Parse(s[0][1..])));
        Assert.Equal(valid.Select(s => s[0]), again.Valid.Select(s => s[0]));
        Assert.True(count < 10 || !valid.Select(s => s[0]).SequenceEqual(other.Valid.Select(s => s[0])));
    }

    [Fact]
    public void OneSentenceCannotBeSplit() =>
        Assert.Throws<ArgumentException>(() => HeldOut.Split([["only"]], 0.1, seed: 1));

    [Theory]
    [InlineData(0.0, false)]
    [InlineData(-0.1, false)]
    [InlineData(0.01, true)]
    [InlineData(0.5, true)]
    [InlineData(0.51, false)]
    [InlineData(double.NaN, false)]
    public void AFractionMustBeAboveZeroAndAtMostAHalf(double fraction, bool fine) =>
        Assert.Equal(fine ? null : "Must be greater than 0 and at most 0.5.", HeldOut.Check(fraction));
}
