using RnnLm.Api.Infrastructure;
using RnnLm.Api.Models;
using RnnLm.Engine;

namespace RnnLm.Api.Jobs;

/// <summary>What a job does with the model it trained: <c>promote</c> never, ifBetter (on the job's validation text) or always.</summary>
internal sealed class JobPromotion(ModelRegistry registry)
{
    /// <summary>
    /// Activates the registered model <paramref name="id"/> when <paramref name="mode"/> says so, and says what it did. An activation
    /// that cannot be recorded (a full or read-only data directory) leaves the model registered but not active, and says why.
    /// </summary>
    public PromotionResult Apply(string id, PromotionMode mode, LanguageModel model, IReadOnlyList<string[]> valid, int threads, double newPerplexity)
    {
        ArgumentNullException.ThrowIfNull(model);
        var active = registry.Active;
        double? activePerplexity = mode == PromotionMode.IfBetter && active is not null ? active.Model.ScoreCorpus(valid, threads).Perplexity : null;
        var (wanted, reason) = mode switch
        {
            PromotionMode.Never => (false, "promote is never: activate it with POST /models/{id}/activate."),
            PromotionMode.Always => (true, "promote is always."),
            _ when active is null => (true, "No model was active."),
            _ when newPerplexity < activePerplexity => (true, $"Perplexity {newPerplexity:F2} beats the active model's {activePerplexity:F2} on the job's validation text."),
            _ => (false, $"Perplexity {newPerplexity:F2} does not beat the active model's {activePerplexity:F2} on the job's validation text; {active.Id} stays active."),
        };

        var failure = wanted ? TryActivate(id) : null;
        return new PromotionResult(mode, active?.Id, activePerplexity, newPerplexity, wanted && failure is null,
            failure is null ? reason : $"{reason} It was not activated: {failure} Activate it with POST /models/{{id}}/activate once that is fixed.");
    }

    // Null when activated, else why not.
    private string? TryActivate(string id)
    {
        try
        {
            registry.Activate(registry.Find(id) ?? throw new ModelUnavailableException($"Model '{id}' was registered but cannot be found."));
            return null;
        }
        catch (Exception e) when (Storage.Translate(e, "the choice cannot be recorded") is { } fault)
        {
            return fault.Message;
        }
        catch (Exception e) when (e is ModelLoadException or ModelUnavailableException)
        {
            return e.Message;
        }
    }
}
