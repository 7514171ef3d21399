using RnnLm.Engine.Training;

namespace RnnLm.Engine.Tests;

/// <summary>The learning-rate schedule on a scripted sequence of validation log-likelihoods (no training needed).</summary>
public class ScheduleTests
{
    // Epoch log-likelihoods: big gain, small gain (×1.0001), big, small, small, small.
    private static readonly double[] Script = [-1000, -999.9, -900, -899.95, -899.9, -899.85];

    [Theory]
    // rnnlm: halve from the first small improvement on, every epoch; stop at the next small one.
    [InlineData(ScheduleKind.Rnnlm, 1, new[] { 1.0, 1.0, 0.5, 0.25 }, 4)]
    // Patience 2: the second small one after halving began is let pass.
    [InlineData(ScheduleKind.Rnnlm, 2, new[] { 1.0, 1.0, 0.5, 0.25, 0.125 }, 5)]
    // Plateau: halve at each small improvement only, and hold through the big one in between.
    [InlineData(ScheduleKind.Plateau, 1, new[] { 1.0, 1.0, 0.5, 0.5 }, 4)]
    [InlineData(ScheduleKind.Plateau, 3, new[] { 1.0, 1.0, 0.5, 0.5, 0.25, 0.125 }, 6)]
    public void AlphaFollowsTheScheduleAndStopsAfterPatienceSmallImprovements(ScheduleKind schedule, int patience, double[] alphas, int stopEpoch)
    {
        var options = new TrainingOptions { Alpha = 1, MinImprovement = 1.001, Patience = patience, Schedule = schedule };
        var state = new CheckpointState { Alpha = 1, BestLogProb = double.NegativeInfinity };
        var seen = new List<double>();
        var stoppedAt = 0;
        for (var epoch = 1; epoch <= Script.Length && stoppedAt == 0; epoch++)
        {
            seen.Add(state.Alpha); // the rate this epoch trained at
            var previous = state.BestLogProb;
            state.BestLogProb = Math.Max(previous, Script[epoch - 1]);
            state.Advance(Script[epoch - 1], previous, options);
            stoppedAt = state.Stopped ? epoch : 0;
        }

        Assert.Equal(alphas, seen);
        Assert.Equal(stopEpoch, stoppedAt);
    }

    [Fact]
    public void ADivergedEpochCountsAsASmallImprovement()
    {
        var state = new CheckpointState { Alpha = 1, BestLogProb = -1000 };
        state.Advance(double.NaN, -1000, new TrainingOptions());
        Assert.True(state.Halving);
        Assert.Equal(0.5, state.Alpha);
    }
}
