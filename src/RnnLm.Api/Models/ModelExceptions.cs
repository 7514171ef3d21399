using RnnLm.Api.Infrastructure;

namespace RnnLm.Api.Models;

/// <summary>
/// A model file could not be loaded; the message names the file and says why. Answered as 409: the request is sound but the
/// model's state forbids it (not 422: nothing in the request is wrong; not 503: waiting will not help, repairing or deleting
/// the model will). The registry's messages name no path.
/// </summary>
public sealed class ModelLoadException(string path, string message, Exception? inner = null)
    : ApiException(StatusCodes.Status409Conflict, "The model cannot be loaded", "model", message, inner), IStartupFailure
{
    public string ModelPath { get; } = path;
}

/// <summary>A request arrived while no model is active (503: it will be, once start-up has loaded one).</summary>
public sealed class ModelUnavailableException(string message)
    : ApiException(StatusCodes.Status503ServiceUnavailable, "No model loaded", "model", message);

/// <summary>A request named, by <c>model=ID</c>, a model that is not registered (400, on the <c>model</c> field, as any other bad parameter).</summary>
public sealed class ModelNotFoundException(string id)
    : ApiException(StatusCodes.Status400BadRequest, "No such model", "model", $"No registered model has the id '{ModelRegistry.Shorten(id)}'; GET /models lists them.");
