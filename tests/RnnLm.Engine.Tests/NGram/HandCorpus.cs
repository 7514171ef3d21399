using RnnLm.Engine.Data;
using RnnLm.Engine.NGram;

namespace RnnLm.Engine.Tests.NGram;

/// <summary>
/// Nine sentences small enough to estimate by hand as a trigram model (min-count 1, so <c>&lt;unk&gt;</c> is never seen and
/// lives on the unigram back-off mass alone). The adjusted counts, worked out once for all the tests that use them:
/// <code>
/// c | c | b b c | a c b | a c c | b | c | c | a c b
///
/// trigrams (raw):          &lt;s&gt; c &lt;/s&gt; 4, &lt;s&gt; a c 3, a c b 2, c b &lt;/s&gt; 2, and once each: &lt;s&gt; b b, b b c, b c &lt;/s&gt;,
///                          a c c, c c &lt;/s&gt;, &lt;s&gt; b &lt;/s&gt;                              n1..n4 = 6, 2, 1, 1
/// bigrams (&lt;s&gt; ones raw):  &lt;s&gt; c 4, &lt;s&gt; a 3, &lt;s&gt; b 2;
///   others by left extensions: c &lt;/s&gt; 3 (&lt;s&gt;, b, c), b &lt;/s&gt; 2 (&lt;s&gt;, c), and 1 each: b b, b c, a c, c b, c c
///                                                                                         n1..n4 = 5, 2, 2, 1
/// unigrams (left extensions): c 4 (&lt;s&gt;, b, a, c), b 3 (&lt;s&gt;, b, c), &lt;/s&gt; 2 (c, b), a 1 (&lt;s&gt;), &lt;unk&gt; 0
///                                                                                         n1..n4 = 1, 1, 1, 1
/// </code>
/// Had the bigrams after <c>&lt;s&gt;</c> taken left extensions (there are none) they would count 0 and the bigram
/// count-of-counts would read 5, 2, 0, 0.
/// </summary>
internal static class HandCorpus
{
    public static readonly string[] Lines = ["c", "c", "b b c", "a c b", "a c c", "b", "c", "c", "a c b"];

    public static IReadOnlyList<string[]> Sentences => TextCorpus.Parse(Lines);

    public static NGramEstimate Estimate(int order = 3) => KneserNeyEstimator.Estimate(Sentences, order, minCount: 1);
}
