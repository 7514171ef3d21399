using System.Globalization;
using RnnLm.Api.Infrastructure;

namespace RnnLm.Api.Sessions;

/// <summary>
/// No session has the id: it never existed, was deleted, expired, or was lost when the service restarted (sessions live in
/// memory only). 404, with a message that says all of that, since the service cannot tell which.
/// </summary>
public sealed class SessionNotFoundException(string id, TimeSpan idleTime)
    : ApiException(StatusCodes.Status404NotFound, "No such session", "id", Describe(id, idleTime))
{
    private static string Describe(string id, TimeSpan idleTime)
    {
        var minutes = idleTime.TotalMinutes.ToString("0.###", CultureInfo.InvariantCulture);
        return $"There is no session {ValidationErrors.Quote(id)}: it does not exist, was deleted, expired after {minutes} minutes without a POST "
            + "(RnnLm:SessionIdleMinutes), or the service has restarted since it was made (sessions live in memory, and a restart loses them all). "
            + "Start a new one with POST /sessions.";
    }
}

/// <summary>A client asked for a session id that a live session already has (409: the request is sound, the id is taken).</summary>
public sealed class SessionIdTakenException(string id)
    : ApiException(StatusCodes.Status409Conflict, "The session id is taken", "id",
        $"A session with the id {ValidationErrors.Quote(id)} exists already: delete it first, choose another id, or leave id out for a random one.");

/// <summary>A call, or the session as a whole, would pass a limit on tokens (413, naming the field that carries them).</summary>
public sealed class SessionTooLargeException(string field, string message)
    : ApiException(StatusCodes.Status413PayloadTooLarge, "Too many tokens", field, message);
