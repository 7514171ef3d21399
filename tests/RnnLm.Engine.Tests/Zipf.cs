using RnnLm.Engine.Model;

namespace RnnLm.Engine.Tests;

/// <summary>Zipfian vocabularies and texts, the shape of natural language, for the inference and model tests.</summary>
internal static class Zipf
{
    // Counts 10⁶/(rank+1); </s> and <unk> take ranks 0 and 5, so ids run by descending count as the builder would give them.
    public static Vocabulary VocabularyOf(int size)
    {
        var words = new string[size];
        var counts = new long[size];
        for (var rank = 0; rank < size; rank++)
        {
            words[rank] = rank switch
            {
                0 => Vocabulary.EndOfSentenceToken,
                5 => Vocabulary.UnknownToken,
                _ => $"w{rank}",
            };
            counts[rank] = (long)Math.Round(1e6 / (rank + 1));
        }

        return new Vocabulary(words, counts);
    }

    public static List<IReadOnlyList<string>> Text(int sentences, int words, int seed)
    {
        var random = new Random(seed);
        var weights = Enumerable.Range(1, words).Select(r => 1.0 / r).ToArray();
        var cumulative = new double[words];
        double running = 0;
        for (var i = 0; i < words; i++)
        {
            running += weights[i];
            cumulative[i] = running;
        }

        var text = new List<IReadOnlyList<string>>();
        for (var s = 0; s < sentences; s++)
        {
            var sentence = new string[1 + random.Next(15)];
            for (var i = 0; i < sentence.Length; i++)
            {
                var index = Array.BinarySearch(cumulative, random.NextDouble() * running);
                sentence[i] = $"t{(index < 0 ? ~index : index)}";
            }

            text.Add(sentence);
        }

        return text;
    }
}
