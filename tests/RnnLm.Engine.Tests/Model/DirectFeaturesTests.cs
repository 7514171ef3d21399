using RnnLm.Engine.Inference;
using RnnLm.Engine.Model;

namespace RnnLm.Engine.Tests;

/// <summary>The direct connections' features: contexts, keys, where their weights lie in the table, and the run kernels.</summary>
public class DirectFeaturesTests
{
    private const int Start = 0; // <s>

    [Fact]
    public void TheContextIsTheWordsBeforeThePositionMostRecentFirstThenTheSentenceStart()
    {
        int[] sentence = [10, 11, 12];
        var context = new int[4];
        int[][] expected =
        [
            [Start, -1, -1, -1],
            [10, Start, -1, -1],
            [11, 10, Start, -1],
            [12, 11, 10, Start], // the prediction of </s>, after the last word
        ];
        for (var position = 0; position <= sentence.Length; position++)
        {
            DirectFeatures.Context(sentence, position, Start, context);
            Assert.Equal(expected[position], context);
        }

        DirectFeatures.Context(sentence, 3, Start, context.AsSpan(0, 0)); // order 1: no context words at all
    }

    [Fact]
    public void ARunningSentencesRecentWordsAreTheContextOfItsNextPosition()
    {
        int[] sentence = [4, 8, 15, 16, 23, 42];
        foreach (var width in new[] { 0, 1, 2, 4 })
        {
            var recent = new RecentWords(width);
            var context = new int[width];
            recent.Start(Start);
            for (var position = 0; position <= sentence.Length; position++)
            {
                DirectFeatures.Context(sentence, position, Start, context);
                Assert.Equal(context, recent.Ids.ToArray());
                if (position < sentence.Length)
                {
                    recent.Push(sentence[position]);
                }
            }
        }
    }

    [Fact]
    public void AContextHasTheContextFreeFeatureAndOneFeaturePerWordUpToTheOrder()
    {
        var keys = new ulong[5];
        Assert.Equal(1, DirectFeatures.Keys([-1, -1, -1, -1], keys));
        Assert.Equal(2, DirectFeatures.Keys([Start, -1, -1, -1], keys)); // the first word's context: <s>
        Assert.Equal(3, DirectFeatures.Keys([7, Start, -1, -1], keys));
        Assert.Equal(5, DirectFeatures.Keys([9, 8, 7, Start], keys));
        Assert.Equal(3, DirectFeatures.Keys([9, 8], keys.AsSpan(0, 3)));
        Assert.Equal(1, DirectFeatures.Keys([], keys.AsSpan(0, 1)));
    }

    [Fact]
    public void KeysDependOnEveryWordItsOrderAndTheNumberOfWords()
    {
        ulong[] Keys(params int[] context)
        {
            var keys = new ulong[context.Length + 1];
            return keys[..DirectFeatures.Keys(context, keys)];
        }

        var abc = Keys(1, 2, 3);
        Assert.Equal(4, abc.Distinct().Count());
        Assert.Equal(abc[..3], Keys(1, 2, 4)[..3]); // a feature reads only its own words
        Assert.NotEqual(abc[3], Keys(1, 2, 4)[3]);
        Assert.NotEqual(abc[2], Keys(2, 1, 3)[2]); // (1, 2) is not (2, 1)
        Assert.Equal(abc[0], Keys(5)[0]); // the context-free feature is one for every context
        var all = new HashSet<ulong>();
        for (var a = 0; a < 300; a++)
        {
            for (var b = 0; b < 300; b++)
            {
                all.UnionWith(Keys(a, b)[1..]);
            }
        }

        Assert.Equal(300 + (300 * 300), all.Count); // every unigram and bigram feature has a key of its own
    }

    [Fact]
    public void KeysAndTheirPlacesAreFixedBecauseTrainedModelsDependOnThem()
    {
        // Part of the model format, like the byte layout: a model trained with other keys would score wrongly without any
        // error. These values pin the definition (pure 64-bit integer arithmetic, the same on every machine); they were
        // worked out from it apart from the engine, with Python's integers.
        var keys = new ulong[4];
        Assert.Equal(4, DirectFeatures.Keys([42, 7, Start], keys));
        Assert.Equal([0xE220A8397B1DCDAFul, 0xAE3DA22DF86C45A5ul, 0x2B5C18BBB6D8990Aul, 0xF460FFC64B4684D2ul], keys);
        Assert.Equal(5_504_587, DirectFeatures.ClassStart(keys[2], 10_000_000));
        Assert.Equal(3_913_732, DirectFeatures.WordStart(keys[2], 17, 10_000_000));
    }

    [Fact]
    public void EveryPlaceLiesInTheTableAndClassAndWordRunsDoNotCoincideButByChance()
    {
        var random = new Random(3);
        var keys = new ulong[3];
        foreach (var size in new[] { 1, 2, 97, 1_000, 100_000_000, int.MaxValue })
        {
            var same = 0;
            for (var i = 0; i < 2_000; i++)
            {
                var count = DirectFeatures.Keys([random.Next(50_000), random.Next(50_000)], keys);
                foreach (var key in keys.AsSpan(0, count))
                {
                    var cls = random.Next(1_000);
                    Assert.InRange(DirectFeatures.ClassStart(key, size), 0, size - 1);
                    Assert.InRange(DirectFeatures.WordStart(key, cls, size), 0, size - 1);
                    Assert.InRange(DirectFeatures.ClassIndex(key, cls, size), 0, size - 1);
                    Assert.InRange(DirectFeatures.WordIndex(key, cls, size - 1, size), 0, size - 1);
                    same += DirectFeatures.ClassStart(key, size) == DirectFeatures.WordStart(key, cls, size) ? 1 : 0;
                    same += DirectFeatures.WordStart(key, cls, size) == DirectFeatures.WordStart(key, cls + 1, size) ? 1 : 0;
                }
            }

            // About 2 · 5,000 / size coincidences by chance (all of them when the table has one entry).
            Assert.True(size < 1_000 || same <= 50, $"size {size}: {same} starts coincide");
        }
    }

    public static TheoryData<int, int, int> Runs() => new()
    {
        { 100, 0, 37 }, // inside the table
        { 100, 80, 37 }, // wrapping round its end
        { 100, 99, 1 },
        { 13, 5, 100 }, // longer than the table: its entries are used several times, in order
        { 1, 0, 20 },
    };

    [Theory]
    [MemberData(nameof(Runs))]
    public void AddingARunEqualsAddingEachEntryInTurn(int size, int start, int length)
    {
        var random = new Random(size + start + length);
        var table = Enumerable.Range(0, size).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var scores = Enumerable.Range(0, length).Select(_ => (float)random.NextDouble()).ToArray();
        var expected = scores.ToArray();
        for (var i = 0; i < length; i++)
        {
            expected[i] += table[(start + i) % size];
        }

        DirectFeatures.Add<float>(table, start, scores);
        Assert.Equal(expected, scores);
    }

    [Theory]
    [InlineData(100, 37, new[] { 0, 50, 63 })]
    [InlineData(100, 37, new[] { 10, 80 })] // the second run wraps: run after run
    [InlineData(100, 5, new[] { 95, 95, 95, 95, 95 })] // ends exactly at the table's end
    [InlineData(100, 3, new int[0])]
    public void AddingSeveralRunsAtOnceGivesTheBitsOfOneRunAfterAnother(int size, int length, int[] starts)
    {
        var random = new Random(size + length + starts.Length);
        var table = Enumerable.Range(0, size).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var scores = Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 1e3)).ToArray();
        var expected = scores.ToArray();
        foreach (var start in starts)
        {
            DirectFeatures.Add<float>(table, start, expected);
        }

        DirectFeatures.Add<float>(table, starts, scores);
        Assert.Equal(expected, scores);
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public void UpdatingARunEqualsUpdatingEachEntryInTurn(int size, int start, int length)
    {
        foreach (var decay in new[] { 0f, 1e-3f, 0.25f })
        {
            var random = new Random(size + start + length);
            var table = Enumerable.Range(0, size).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
            var gradient = Enumerable.Range(0, length).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
            var expected = table.ToArray();
            for (var i = 0; i < length; i++)
            {
                var k = (start + i) % size;
                expected[k] += gradient[i] - (decay * expected[k]);
            }

            DirectFeatures.Update<float>(table, start, gradient, decay);
            Assert.Equal(expected, table);

            var doubles = Enumerable.Range(0, size).Select(i => (double)i).ToArray();
            var expectedDoubles = doubles.ToArray();
            for (var i = 0; i < length; i++)
            {
                var k = (start + i) % size;
                expectedDoubles[k] += gradient[i] - (decay * expectedDoubles[k]);
            }

            DirectFeatures.Update<double>(doubles, start, [.. gradient.Select(g => (double)g)], decay);
            Assert.Equal(expectedDoubles, doubles);
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void UpdatingSlicesOfTheTableOneAfterAnotherGivesTheBitsOfWholeUpdates(int slices)
    {
        // Runs that overlap, wrap and repeat entries, as colliding features do; each slice takes every run in the same order.
        const int Size = 61;
        var random = new Random(slices);
        var runs = Enumerable.Range(0, 40).Select(_ => (Start: random.Next(Size), Gradient: Enumerable.Range(0, 1 + random.Next(90)).Select(_ => (float)random.NextDouble() - 0.5f).ToArray())).ToArray();
        var initial = Enumerable.Range(0, Size).Select(_ => (float)random.NextDouble()).ToArray();
        var whole = initial.ToArray();
        foreach (var (start, gradient) in runs)
        {
            DirectFeatures.Update<float>(whole, start, gradient, 0.01f);
        }

        var sliced = initial.ToArray();
        for (var slice = 0; slice < slices; slice++)
        {
            var (from, to) = Numerics.WorkTeam.Split(Size, slices, slice);
            foreach (var (start, gradient) in runs)
            {
                DirectFeatures.Update<float>(sliced, start, gradient, 0.01f, from, to);
            }
        }

        Assert.Equal(whole, sliced);
    }
}
