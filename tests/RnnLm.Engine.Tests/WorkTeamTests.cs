using RnnLm.Engine.Numerics;

namespace RnnLm.Engine.Tests;

public sealed class WorkTeamTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void EveryMemberRunsOnceAPieceAndRunReturnsAfterAllHaveFinished(int size)
    {
        using var team = new WorkTeam(size);
        var counts = new int[size];
        var values = new long[size];
        for (var piece = 1; piece <= 20_000; piece++)
        {
            var p = piece;
            team.Run(member =>
            {
                counts[member]++;
                values[member] = p * (member + 1);
            });

            // Plain reads: what the members wrote must be visible once Run has returned.
            for (var member = 0; member < size; member++)
            {
                Assert.Equal((long)piece * (member + 1), values[member]);
            }
        }

        Assert.All(counts, count => Assert.Equal(20_000, count));
    }

    [Fact]
    public void MemberZeroIsTheCallerAndTheOthersAreThreadsOfTheirOwn()
    {
        using var team = new WorkTeam(3);
        var threads = new int[3];
        team.Run(member => threads[member] = Environment.CurrentManagedThreadId);
        Assert.Equal(Environment.CurrentManagedThreadId, threads[0]);
        Assert.Equal(3, threads.Distinct().Count());
    }

    [Fact]
    public void MembersThatHaveGoneToSleepAreWokenForTheNextPiece()
    {
        using var team = new WorkTeam(2);
        for (var i = 0; i < 5; i++)
        {
            Thread.Sleep(5); // well past the spin time: the worker waits on the monitor
            var ran = new bool[2];
            team.Run(member => ran[member] = true);
            Assert.All(ran, Assert.True);
        }
    }

    [Fact]
    public void AnExceptionInAWorkerIsThrownByRunAndTheTeamGoesOn()
    {
        using var team = new WorkTeam(2);
        var error = Assert.Throws<InvalidOperationException>(() => team.Run(member =>
        {
            if (member == 1)
            {
                throw new InvalidOperationException("member 1 failed");
            }
        }));
        Assert.Equal("member 1 failed", error.Message);

        var ran = new bool[2];
        team.Run(member => ran[member] = true);
        Assert.All(ran, Assert.True);
    }

    [Fact]
    public void ATeamCannotRunAfterItIsDisposed()
    {
        var team = new WorkTeam(2);
        team.Dispose();
        team.Dispose();
        Assert.Throws<ObjectDisposedException>(() => team.Run(_ => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WorkTeam(0));
    }

    [Theory]
    [InlineData(0, 2)]
    [InlineData(1, 2)]
    [InlineData(16, 2)]
    [InlineData(17, 3)]
    [InlineData(100, 7)]
    public void SplitCoversTheRangeInOrderWithoutGapsOrOverlaps(int length, int parts)
    {
        var next = 0;
        for (var member = 0; member < parts; member++)
        {
            var (start, end) = WorkTeam.Split(length, parts, member);
            Assert.Equal(next, start);
            Assert.InRange(end - start, length / parts, (length / parts) + 1);
            next = end;
        }

        Assert.Equal(length, next);
    }
}
