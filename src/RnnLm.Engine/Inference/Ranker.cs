using RnnLm.Engine.Model;

namespace RnnLm.Engine.Inference;

/// <summary>Where each predicted token of a sentence stands in the model's next-word distribution at its position.</summary>
internal static class Ranker
{
    /// <summary>
    /// For every word of the sentence and its final <c>&lt;/s&gt;</c>: the token's rank in the distribution given the words
    /// before it, and that distribution's <paramref name="k"/> most probable words, exactly as <see cref="Session.Next"/>
    /// gives them for the same prefix.
    /// </summary>
    /// <remarks>One full distribution per token (|V| probabilities), the cost of a <c>/next</c> call each.</remarks>
    public static TokenRanking[] Sentence(SessionPool sessions, Vocabulary vocabulary, IReadOnlyList<string> tokens, int k)
    {
        var ids = vocabulary.Map(tokens);
        var probabilities = new float[vocabulary.Count]; // [|V|] the distribution at one position
        var rankings = new TokenRanking[ids.Length + 1];
        using var lease = sessions.Rent();
        var session = lease.Session;
        session.Follow([]);
        for (var i = 0; i <= ids.Length; i++)
        {
            var target = i < ids.Length ? ids[i] : vocabulary.EndOfSentence;
            session.Distribution(probabilities);
            var best = TopK.Of(probabilities, k);
            rankings[i] = new TokenRanking(RankOf(probabilities, target), [.. best.Select(x => new WordProbability(vocabulary[x.Id], x.Probability))]);
            if (i < ids.Length)
            {
                session.Advance(target);
            }
        }

        return rankings;
    }

    /// <summary>1 + the words ordered before <paramref name="id"/> as <see cref="TopK"/> orders them: more probable, or as probable with a lower id.</summary>
    public static int RankOf(ReadOnlySpan<float> probabilities, int id)
    {
        var p = probabilities[id];
        var rank = 1;
        for (var other = 0; other < probabilities.Length; other++)
        {
            var q = probabilities[other];
            rank += q > p || (q == p && other < id) ? 1 : 0;
        }

        return rank;
    }
}
