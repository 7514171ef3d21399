namespace RnnLm.Engine.Inference;

/// <summary>One predicted token: the word as the model saw it and its natural-log probability.</summary>
/// <param name="Token">The token as written in the input, or <c>&lt;/s&gt;</c> for the end of the sentence.</param>
/// <param name="ModelToken">The vocabulary entry scored: the token itself, <c>&lt;unk&gt;</c> or <c>&lt;/s&gt;</c>.</param>
/// <param name="LogProb">Natural log of P(token | history).</param>
public sealed record TokenScore(string Token, string ModelToken, double LogProb)
{
    public bool IsUnknown => ModelToken == Model.Vocabulary.UnknownToken;
}

/// <summary>A scored sentence: every word and the final <c>&lt;/s&gt;</c> are predicted, <c>&lt;s&gt;</c> is context only.</summary>
public sealed record SentenceScore(IReadOnlyList<TokenScore> Tokens, double LogProb)
{
    /// <summary>Predicted tokens, <c>&lt;/s&gt;</c> included.</summary>
    public int TokenCount => Tokens.Count;

    /// <summary>Mean negative natural-log probability per predicted token, in nats.</summary>
    public double CrossEntropy => -LogProb / TokenCount;

    public double Perplexity => Math.Exp(CrossEntropy);
}

/// <summary>A token-weighted score over many sentences.</summary>
public sealed record CorpusScore(long Sentences, long Tokens, long UnknownTokens, double LogProb)
{
    /// <summary>The sentences' scores together: log-probabilities summed in order, token-weighted cross-entropy and perplexity.</summary>
    public static CorpusScore Of(IReadOnlyList<SentenceScore> sentences)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        return new(sentences.Count, sentences.Sum(s => (long)s.TokenCount), sentences.Sum(s => (long)s.Tokens.Count(t => t.IsUnknown)), sentences.Sum(s => s.LogProb));
    }

    public double CrossEntropy => Tokens == 0 ? double.NaN : -LogProb / Tokens;

    public double Perplexity => Math.Exp(CrossEntropy);
}

/// <summary>Where a predicted token stands in the model's distribution at its position.</summary>
/// <param name="Rank">1 for the most probable word; ties are ordered by lower vocabulary id, as the alternatives are.</param>
/// <param name="Alternatives">The most probable words at that position, most probable first: what <see cref="LanguageModel.Next"/> gives for the words before it.</param>
public sealed record TokenRanking(int Rank, IReadOnlyList<WordProbability> Alternatives);

/// <summary>A candidate next word.</summary>
public sealed record WordProbability(string Token, double Probability)
{
    public double LogProb => Math.Log(Probability);
}

/// <summary>The distribution of the word after a prefix.</summary>
/// <param name="Prefix">The prefix tokens as the model saw them (unknown words as <c>&lt;unk&gt;</c>).</param>
/// <param name="Candidates">The most probable next tokens, most probable first (<c>&lt;/s&gt;</c> may be among them).</param>
/// <param name="EndOfSentenceProbability">P(<c>&lt;/s&gt;</c> | prefix).</param>
public sealed record NextWords(IReadOnlyList<string> Prefix, IReadOnlyList<WordProbability> Candidates, double EndOfSentenceProbability);

/// <summary>Sampling settings for <see cref="LanguageModel.Generate"/>.</summary>
/// <param name="MaxTokens">Most tokens to add; generation also stops at <c>&lt;/s&gt;</c>.</param>
/// <param name="Temperature">Above 0: below 1 sharpens the distribution, above 1 flattens it.</param>
/// <param name="TopK">Sample only among the k most probable words; 0 for all.</param>
/// <param name="Seed">Same seed, same prefix, same model: same text.</param>
public sealed record SamplingOptions(int MaxTokens = 20, double Temperature = 1.0, int TopK = 0, int Seed = 1);

/// <summary>Generated continuation.</summary>
public sealed record Generation(IReadOnlyList<string> Prefix, IReadOnlyList<WordProbability> Tokens, bool EndedSentence);
