using RnnLm.Engine.Model;

namespace RnnLm.Engine.Inference;

/// <summary>
/// A running text read a few tokens at a time: the model's state after everything fed so far (h(t), an LSTM's c(t), and the
/// recent words the direct connections read), so that each call costs the new tokens only. Each token fed gets its
/// log-probability given all that came before, and the next-word distribution is there at any point.
/// </summary>
/// <remarks>
/// <para>
/// The text is a sequence of sentences. A stream starts at the start of a sentence; <c>&lt;/s&gt;</c> fed as a token is
/// predicted like any word and ends the sentence, and the state then restarts from h(0) = 0 with <c>&lt;s&gt;</c> as the
/// only context, as <see cref="LanguageModel.Score"/> starts every sentence. So feeding a sentence's tokens and then
/// <c>&lt;/s&gt;</c> gives exactly the log-probabilities <see cref="LanguageModel.Score"/> gives it, bit for bit, whatever
/// the calls the tokens are split into. Words outside the vocabulary are scored as <c>&lt;unk&gt;</c>.
/// </para>
/// <para>
/// Not safe for concurrent use: a caller that shares one between threads serializes the calls. The model is immutable, so
/// many states over one model run at once. Each call rents the model's scratch from its pool and copies the state in and
/// out (a few hundred floats), so an idle state holds only <see cref="StateBytes"/>.
/// </para>
/// </remarks>
public sealed class StreamingState
{
    private readonly SessionPool _sessions;
    private readonly RecurrentState _state;
    private readonly RecentWords _recent;
    private readonly List<int> _sentence = []; // the ids read since the sentence began

    internal StreamingState(LanguageModel model, SessionPool sessions)
    {
        (Model, _sessions) = (model, sessions);
        _state = new RecurrentState(model.Shape);
        _recent = new RecentWords(model.Shape.DirectSize > 0 ? model.Shape.DirectOrder - 1 : 0);
        using var lease = sessions.Rent();
        lease.Session.Follow([]);
        lease.Session.Keep(_state, _recent);
    }

    /// <summary>The model the state belongs to, for good: a state never changes model.</summary>
    public LanguageModel Model { get; }

    /// <summary>Tokens predicted so far, every <c>&lt;/s&gt;</c> fed included.</summary>
    public long TokenCount { get; private set; }

    /// <summary>Tokens so far that were scored as <c>&lt;unk&gt;</c>.</summary>
    public long UnknownCount { get; private set; }

    /// <summary>Sentences ended so far (each <c>&lt;/s&gt;</c> fed).</summary>
    public long SentenceCount { get; private set; }

    /// <summary>Sum of the natural-log probabilities of the tokens fed so far.</summary>
    public double LogProb { get; private set; }

    /// <summary>exp(−<see cref="LogProb"/> / <see cref="TokenCount"/>); NaN before the first token.</summary>
    public double Perplexity => TokenCount == 0 ? double.NaN : Math.Exp(-LogProb / TokenCount);

    /// <summary>The words of the sentence under way, as the model saw them (<c>&lt;unk&gt;</c> for unknown words).</summary>
    public IReadOnlyList<string> CurrentSentence => [.. _sentence.Select(id => Model.Vocabulary[id])];

    /// <summary>
    /// About how many bytes the state holds between calls: h(t) and c(t), the recent words and the ids of the sentence under
    /// way, with the objects' headers. The model and the pooled scratch are shared and not counted.
    /// </summary>
    public long StateBytes => BytesFor(Model.Shape) + (4L * _sentence.Count);

    /// <summary>What an empty state of a model of shape <paramref name="shape"/> holds (see <see cref="StateBytes"/>).</summary>
    public static long BytesFor(ModelShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        const int header = 24; // object header and method table pointer, array length, on 64-bit
        var floats = shape.Hidden * (shape.Cell == CellKind.Lstm ? 2L : 1L);
        var context = shape.DirectSize > 0 ? shape.DirectOrder - 1 : 0;
        return (6 * header) + 64 + (4 * floats) + (4L * context);
    }

    /// <summary>
    /// Reads <paramref name="tokens"/> in order: each gets log P(token | everything before it), then becomes part of the
    /// context; <c>&lt;/s&gt;</c> ends the sentence and restarts the state. All or nothing: a bad token changes nothing.
    /// </summary>
    /// <returns>One score per token, in order: the token as given, the vocabulary entry scored, its log-probability.</returns>
    /// <exception cref="ArgumentException">A token is null or <c>&lt;s&gt;</c> (sentence starts follow from <c>&lt;/s&gt;</c>).</exception>
    public IReadOnlyList<TokenScore> Feed(IReadOnlyList<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var vocabulary = Model.Vocabulary;
        var ids = new int[tokens.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            var token = tokens[i] ?? throw new ArgumentException($"Token {i} is null.", nameof(tokens));
            if (token == Vocabulary.StartOfSentenceToken)
            {
                throw new ArgumentException($"Token {i} is {Vocabulary.StartOfSentenceToken}: a sentence starts after {Vocabulary.EndOfSentenceToken}.", nameof(tokens));
            }

            ids[i] = token == Vocabulary.EndOfSentenceToken ? vocabulary.EndOfSentence : vocabulary.IdOf(token);
        }

        var scores = new TokenScore[ids.Length];
        if (ids.Length == 0)
        {
            return scores;
        }

        using (var lease = _sessions.Rent())
        {
            var session = lease.Session;
            session.Resume(_state, _recent);
            for (var i = 0; i < ids.Length; i++)
            {
                var id = ids[i];
                var logProb = session.LogProbability(id);
                scores[i] = new TokenScore(tokens[i], vocabulary[id], logProb);
                if (id == vocabulary.EndOfSentence)
                {
                    session.Follow([]);
                    _sentence.Clear();
                }
                else
                {
                    session.Advance(id);
                    _sentence.Add(id);
                }
            }

            session.Keep(_state, _recent);
        }

        foreach (var score in scores)
        {
            TokenCount++;
            UnknownCount += score.IsUnknown ? 1 : 0;
            SentenceCount += score.ModelToken == Vocabulary.EndOfSentenceToken ? 1 : 0;
            LogProb += score.LogProb;
        }

        return scores;
    }

    /// <summary>
    /// The <paramref name="top"/> most probable next tokens after everything fed so far, most probable first, and
    /// P(<c>&lt;/s&gt;</c>): the probabilities <see cref="LanguageModel.Next"/> gives after the sentence under way.
    /// </summary>
    /// <remarks>
    /// Single precision, as <see cref="LanguageModel.Next"/>: a word's probability here and exp of the log-probability
    /// <see cref="Feed"/> would give it agree to float rounding, not bit for bit (a softmax against a log-sum-exp).
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="top"/> is below 1.</exception>
    public NextWords Next(int top)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        (int Id, float Probability)[] best;
        float endOfSentence;
        using (var lease = _sessions.Rent())
        {
            lease.Session.Resume(_state, _recent);
            best = lease.Session.Next(top, out endOfSentence);
        }

        var vocabulary = Model.Vocabulary;
        return new NextWords(CurrentSentence, [.. best.Select(x => new WordProbability(vocabulary[x.Id], x.Probability))], endOfSentence);
    }

    /// <summary>Writes P(w | everything fed so far) for every vocabulary id w into <paramref name="destination"/> (|V| long).</summary>
    /// <exception cref="ArgumentException">The destination is not |V| long.</exception>
    public void NextDistribution(Span<float> destination)
    {
        if (destination.Length != Model.Vocabulary.Count)
        {
            throw new ArgumentException($"The destination must hold {Model.Vocabulary.Count} probabilities.", nameof(destination));
        }

        using var lease = _sessions.Rent();
        lease.Session.Resume(_state, _recent);
        lease.Session.Distribution(destination);
    }
}
