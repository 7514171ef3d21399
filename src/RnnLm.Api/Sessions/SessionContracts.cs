using System.ComponentModel;
using RnnLm.Api.Infrastructure;
using RnnLm.Api.Prediction;
using RnnLm.Api.Scoring;

namespace RnnLm.Api.Sessions;

[Description("A new streaming session: which model, the text it starts with, and how many next words to return.")]
public sealed record CreateSessionRequest : IDocumentedExample<CreateSessionRequest>
{
    /// <summary>Next words a call returns unless it asks for another number.</summary>
    public const int DefaultTop = 10;

    [Description("Optional: the session's id, 1 to 64 letters, digits, '-' or '_'. Absent: a random id (128 bits), which only the caller knows. "
        + "A chosen id anyone can guess is anyone's session.")]
    public string? Id { get; init; }

    [Description("Optional: the id of a registered model (GET /models). Absent: the active model. The session keeps this model for good, "
        + "even if another is activated meanwhile.")]
    public string? Model { get; init; }

    [Description("Optional: raw text the session starts with, tokenized like POST /tokenize (not split into sentences), and scored. "
        + "Absent or empty: the session starts at the start of a sentence.")]
    public string? Prefix { get; init; }

    [Description("How many next words each answer returns (unless a call asks for another number), from 1 to RnnLm:MaxTop.")]
    [DefaultValue(DefaultTop)]
    public int Top { get; init; } = DefaultTop;

    public static CreateSessionRequest Example => new() { Id = "demo", Prefix = "The jury", Top = 5 };
}

[Description("Tokens to add to a session's running text.")]
public sealed record SessionTokensRequest : IDocumentedExample<SessionTokensRequest>
{
    [Description("The next tokens, in order, used as given (case matters; see POST /tokenize). \"</s>\" ends the sentence: it is scored, "
        + "and the next token starts a new sentence. At most RnnLm:MaxSessionTokensPerCall tokens a call.")]
    public string[]? Tokens { get; init; }

    [Description("Instead of tokens: raw text, tokenized like the session's prefix (POST /tokenize's rules, not split into sentences). "
        + "It is tokenized on its own, so send whole words: text cut inside a word, or inside quotes, is not tokenized as the whole would be.")]
    public string? Text { get; init; }

    [Description("Optional: how many next words to return this time, from 1 to RnnLm:MaxTop. Absent: the session's number.")]
    public int? Top { get; init; }

    public static SessionTokensRequest Example => new() { Tokens = ["said", "it", ".", "</s>", "It"] };
}

[Description("A session's answer to the tokens it was given: each one's log-probability, and what may come next.")]
public sealed record SessionResponse(
    [property: Description("The session's id: the key to it (POST /sessions/{id}/tokens, GET and DELETE /sessions/{id}).")] string Id,
    [property: Description("Id of the model the session began with and keeps.")] string Model,
    [property: Description("The tokens of this call, in order, each with its natural-log probability given everything before it in its "
        + "sentence: after </s> the model starts afresh, as POST /score scores each sentence on its own.")] IReadOnlyList<TokenResult> Tokens,
    [property: Description("The words of the sentence under way, as the model saw them (<unk> for unknown words); empty after </s>.")] IReadOnlyList<string> Sentence,
    [property: Description("The most probable next tokens, most probable first (</s> may be among them).")] IReadOnlyList<Candidate> Next,
    [property: Description("P(</s> | the sentence under way): the probability that the sentence ends here.")] double EndOfSentenceProbability,
    [property: Description("Tokens scored in the session so far, every </s> included.")] long TokenCount,
    [property: Description("Natural-log probability of all the session's tokens so far.")] double LogProb,
    [property: Description("exp(−logProb / tokenCount) over the session so far; null before the first token.")] double? Perplexity,
    [property: Description("When the session expires unless it gets another POST before (RnnLm:SessionIdleMinutes after this one).")] DateTimeOffset ExpiresUtc);

[Description("A session's state.")]
public sealed record SessionState(
    [property: Description("The session's id.")] string Id,
    [property: Description("Id of the model the session began with and keeps.")] string Model,
    [property: Description("Every token scored so far, in order, with its natural-log probability; </s> included.")] IReadOnlyList<TokenResult> Tokens,
    [property: Description("The words of the sentence under way, as the model saw them; empty after </s>.")] IReadOnlyList<string> Sentence,
    [property: Description("Tokens scored so far, every </s> included.")] long TokenCount,
    [property: Description("Sentences ended so far (each </s>).")] long SentenceCount,
    [property: Description("Tokens scored as <unk> so far.")] long UnknownCount,
    [property: Description("Natural-log probability of all the tokens so far.")] double LogProb,
    [property: Description("exp(−logProb / tokenCount); null before the first token.")] double? Perplexity,
    [property: Description("Next words an answer returns unless a call asks for another number.")] int Top,
    [property: Description("Memory the session holds, as the service counts it against RnnLm:MaxSessionBytes (the model is not counted).")] long Bytes,
    [property: Description("When the session was made.")] DateTimeOffset CreatedUtc,
    [property: Description("When it last got a POST.")] DateTimeOffset LastUsedUtc,
    [property: Description("When it expires unless it gets a POST before; reading it (GET) does not extend it.")] DateTimeOffset ExpiresUtc);
