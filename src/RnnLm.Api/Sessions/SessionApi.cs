using System.ComponentModel;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using RnnLm.Api.Infrastructure;
using RnnLm.Api.Models;
using RnnLm.Api.Prediction;
using RnnLm.Api.Scoring;
using RnnLm.Engine.Model;
using RnnLm.Engine.Text;

namespace RnnLm.Api.Sessions;

public static partial class SessionApi
{
    private const string IdDescription = "The session's id, as POST /sessions answered it. The example, demo, is the session that POST /sessions's example makes.";

    /// <summary>The session store, and the clock its expiry reads (tests bring their own).</summary>
    public static IServiceCollection AddSessions(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<SessionStore>();
        return services;
    }

    public static IEndpointRouteBuilder MapSessions(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/").WithDescribedTag("Sessions",
            "Streaming: a running text fed a few tokens at a time, the model's state kept on the server between calls, so that a call costs its new tokens only.");
        group.MapPost("sessions", Create)
            .WithName("CreateSession")
            .WithSummary("Start a streaming session")
            .WithDescription("Starts a running text with the active model (or `model`), optionally reading `prefix`, and answers its id, the prefix's "
                + "tokens with their log-probabilities, and the `top` most probable next words. The session keeps its model for good: a hot swap never "
                + "changes a running session. It lives in memory until DELETE, until RnnLm:SessionIdleMinutes pass without a POST to it, or until the "
                + "service restarts. More than RnnLm:MaxSessions sessions, or more than RnnLm:MaxSessionBytes of memory for them all, get 429 with Retry-After.")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithExample(body: CreateSessionRequest.Example);
        group.MapPost("sessions/{id}/tokens", AddTokens)
            .WithName("AddSessionTokens")
            .WithSummary("Add tokens to a session: each one's log-probability, and the next words")
            .WithDescription("Scores each token given everything before it in its sentence and moves the session's state past it; the cost is the new "
                + "tokens only. \"</s>\" ends a sentence: it is scored like a word, and the model starts the next sentence afresh, as POST /score scores "
                + "each sentence on its own, so feeding a sentence and </s> token by token gives POST /score's log-probabilities exactly. Unknown words are "
                + "scored as <unk> and flagged. `text` instead of `tokens` sends raw words, tokenized like the prefix. Calls to one session run one at a time. Limits: RnnLm:MaxSessionTokensPerCall tokens a call and "
                + "RnnLm:MaxSessionTokens a session (413 naming `tokens`).")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithExample(body: SessionTokensRequest.Example, parameters: [("id", "demo")]);
        group.MapGet("sessions/{id}", Get)
            .WithName("GetSession")
            .WithSummary("A session's state")
            .WithDescription("The session's model, every token so far with its log-probability, the sentence under way, counts, perplexity so far, "
                + "memory, and when it was made, last used and expires. Reading does not extend its life.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithExample(parameters: [("id", "demo")])
            .WithExample(name: "unknownSession", parameters: [("id", "no-such-session")]);
        group.MapDelete("sessions/{id}", Delete)
            .WithName("DeleteSession")
            .WithSummary("End a session")
            .WithDescription("Lets the session go and frees its memory; its id then answers 404.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithExample(parameters: [("id", "demo")]);
        return app;
    }

    public static Results<Created<SessionResponse>, ValidationProblem, ProblemHttpResult> Create(
        CreateSessionRequest request, SessionStore sessions, ModelRegistry models, IOptions<RnnLmOptions> options, HttpContext context)
    {
        var limits = options.Value;
        var errors = new ValidationErrors();
        if (request.Id is not null && !IdPattern().IsMatch(request.Id))
        {
            errors.Add("id", "Must be 1 to 64 letters, digits, '-' or '_'; or leave it out for a random id.");
        }

        CheckTop(request.Top, limits, errors);
        var prefix = Tokenize("prefix", request.Prefix, limits, errors);
        var loaded = errors.IsEmpty ? models.Resolve(request.Model) : null;
        if (loaded is null)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary(), title: "The session cannot be started.");
        }

        var (lease, refusal) = sessions.Create(request.Id, loaded, request.Top);
        if (lease is null)
        {
            return TooMany(context, refusal!);
        }

        using (lease)
        {
            var (scores, full) = lease.Feed(prefix);
            if (full is not null)
            {
                lease.Close();
                return TooMany(context, full);
            }

            var answer = Answer(lease, scores, lease.Session.Top);
            return TypedResults.Created($"/sessions/{answer.Id}", answer);
        }
    }

    public static async Task<Results<Ok<SessionResponse>, ValidationProblem, ProblemHttpResult>> AddTokens(
        [Description(IdDescription)] string id, SessionTokensRequest request, SessionStore sessions, IOptions<RnnLmOptions> options, HttpContext context)
    {
        var limits = options.Value;
        var errors = new ValidationErrors();
        var tokens = request.Text is { } text ? Tokenize("text", text, limits, errors) : request.Tokens;
        if (request.Text is not null && request.Tokens is not null)
        {
            errors.Add("text", "Send tokens or text, not both.");
        }
        else if (tokens is null || tokens.Length == 0)
        {
            if (errors.IsEmpty)
            {
                errors.Add(request.Text is null ? "tokens" : "text", request.Text is null ? "Must hold at least one token." : "Must hold at least one word.");
            }
        }
        else if (request.Text is null)
        {
            CheckCall("tokens", tokens.Length, limits);
            for (var i = 0; i < tokens.Length && !errors.IsFull; i++)
            {
                // </s> is a token a running text may hold: it ends the sentence.
                if (tokens[i] != Vocabulary.EndOfSentenceToken)
                {
                    errors.CheckToken($"tokens[{i}]", tokens[i]);
                }
            }
        }

        if (request.Top is { } top)
        {
            CheckTop(top, limits, errors);
        }

        if (!errors.IsEmpty)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary(), title: "The tokens cannot be added.");
        }

        using var lease = await sessions.EnterAsync(id, context.RequestAborted);
        var state = lease.Session.State;
        if (state.TokenCount + tokens!.Length > limits.MaxSessionTokens)
        {
            throw new SessionTooLargeException("tokens", string.Create(CultureInfo.InvariantCulture,
                $"The session holds {state.TokenCount:N0} tokens and these {tokens.Length:N0} would pass the {limits.MaxSessionTokens:N0} a session may hold (RnnLm:MaxSessionTokens). Start a new session."));
        }

        var (scores, refusal) = lease.Feed(tokens);
        return refusal is null ? TypedResults.Ok(Answer(lease, scores, request.Top ?? lease.Session.Top)) : TooMany(context, refusal);
    }

    public static async Task<Ok<SessionState>> Get([Description(IdDescription)] string id, SessionStore sessions, HttpContext context)
    {
        using var lease = await sessions.EnterAsync(id, context.RequestAborted);
        var (session, state) = (lease.Session, lease.Session.State);
        return TypedResults.Ok(new SessionState(
            session.Id, session.Model.Id, [.. session.Tokens], state.CurrentSentence, state.TokenCount, state.SentenceCount, state.UnknownCount,
            state.LogProb, Perplexity(state), session.Top, session.Bytes, session.CreatedUtc, session.LastUsedUtc, sessions.ExpiresUtc(session)));
    }

    public static async Task<NoContent> Delete([Description(IdDescription)] string id, SessionStore sessions, HttpContext context)
    {
        using var lease = await sessions.EnterAsync(id, context.RequestAborted);
        lease.Close();
        return TypedResults.NoContent();
    }

    private static SessionResponse Answer(SessionLease lease, IReadOnlyList<TokenResult> scores, int top)
    {
        var (session, state) = (lease.Session, lease.Session.State);
        var next = state.Next(top);
        return new SessionResponse(
            session.Id, session.Model.Id, scores, next.Prefix, [.. next.Candidates.Select(Candidate.Of)], next.EndOfSentenceProbability,
            state.TokenCount, state.LogProb, Perplexity(state), lease.Store.ExpiresUtc(session));
    }

    private static double? Perplexity(Engine.Inference.StreamingState state) => state.TokenCount == 0 ? null : state.Perplexity;

    private static ProblemHttpResult TooMany(HttpContext context, SessionRefusal refusal)
    {
        context.Response.Headers.RetryAfter = ((long)refusal.RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        return ProblemDetailsSetup.Result(StatusCodes.Status429TooManyRequests, "Too many sessions", refusal.Field, refusal.Message);
    }

    private static void CheckTop(int top, RnnLmOptions limits, ValidationErrors errors)
    {
        if (top < 1 || top > limits.MaxTop)
        {
            errors.Add("top", $"Must be between 1 and {limits.MaxTop:N0} (RnnLm:MaxTop).");
        }
    }

    // More tokens than a call may send: 413, before anything else is looked at.
    private static void CheckCall(string field, int count, RnnLmOptions limits)
    {
        if (count > limits.MaxSessionTokensPerCall)
        {
            throw new SessionTooLargeException(field, string.Create(CultureInfo.InvariantCulture,
                $"Has {count:N0} tokens; a call to a session sends at most {limits.MaxSessionTokensPerCall:N0} (RnnLm:MaxSessionTokensPerCall). Send them in several calls."));
        }
    }

    // A prefix, or the text of a call: tokenized as one running piece of a sentence; too many tokens is a 413.
    private static string[] Tokenize(string field, string? text, RnnLmOptions limits, ValidationErrors errors)
    {
        if (string.IsNullOrWhiteSpace(text) || !errors.CheckText(field, text))
        {
            return [];
        }

        var tokens = BrownTokenizer.Tokenize(text);
        CheckCall(field, tokens.Length, limits);
        if (tokens.Length > limits.MaxSessionTokens)
        {
            throw new SessionTooLargeException(field, string.Create(CultureInfo.InvariantCulture,
                $"Has {tokens.Length:N0} tokens; a session holds at most {limits.MaxSessionTokens:N0} (RnnLm:MaxSessionTokens)."));
        }

        return errors.CheckSentence(field, tokens, limits.MaxSessionTokensPerCall, allowEmpty: true) ? tokens : [];
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex IdPattern();
}
