namespace RnnLm.Api.Infrastructure;

/// <summary>
/// An error a feature answers with one problem: its status, title, the field it names and a message the user can act on.
/// Features derive their domain errors from it, so <see cref="ApiExceptionHandler"/> maps them all without knowing any feature.
/// </summary>
public abstract class ApiException(int status, string title, string field, string message, Exception? innerException = null)
    : Exception(message, innerException)
{
    public int StatusCode { get; } = status;

    public string Title { get; } = title;

    public string Field { get; } = field;
}

/// <summary>
/// An exception that stops start-up after the feature that threw it has logged why in one line: the host's own
/// "Hosting failed to start" event would repeat it with a stack trace, so <see cref="Logging"/> leaves it out.
/// </summary>
public interface IStartupFailure;
