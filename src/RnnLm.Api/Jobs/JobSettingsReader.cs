using System.Text.Json;
using RnnLm.Api.Infrastructure;
using RnnLm.Engine.Training;

namespace RnnLm.Api.Jobs;

/// <summary>
/// Turns the training settings of a job request into <see cref="TrainingOptions"/>: the preset, then each setting sent,
/// read by the type its catalog entry declares, then the catalog's check. Every problem is reported, each naming its field.
/// </summary>
internal static class JobSettingsReader
{
    /// <summary>The options, or null with every problem added to <paramref name="errors"/>.</summary>
    public static TrainingOptions? Read(TrainingSettings catalog, string? preset, IReadOnlyDictionary<string, JsonElement>? sent, ValidationErrors errors)
    {
        var start = catalog.Defaults;
        if (preset is not null)
        {
            if (catalog.Preset(preset) is { } named)
            {
                start = named;
            }
            else
            {
                errors.Add("preset", $"Must be {ValidationErrors.OneOf(catalog.PresetNames.Select(Quote))}.");
            }
        }

        var given = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (name, element) in sent ?? new Dictionary<string, JsonElement>())
        {
            if (catalog.Find(name) is not { } setting)
            {
                errors.Add(name, "Is not a known field.");
            }
            else if (Convert(setting, element) is { } value)
            {
                given[name] = value;
            }
            else
            {
                errors.Add(name, $"Must be {Expected(setting)}.");
            }
        }

        if (!errors.IsEmpty)
        {
            return null;
        }

        var options = catalog.WithDefaults(start).Apply(given);
        foreach (var (field, message) in catalog.Check(options))
        {
            errors.Add(field, message);
        }

        // A host limit on top of the setting's own: more threads than cores only makes the team's members wait for each other.
        if (options.Threads > Environment.ProcessorCount)
        {
            errors.Add("threads", $"Must be at most {Environment.ProcessorCount}, the processor count of this server.");
        }

        return errors.IsEmpty ? options : null;
    }

    /// <summary>What a setting's JSON value must be, in words: "a whole number, from 1 to 1024", "full or classes", ...</summary>
    internal static string Expected(TrainingSetting setting) => setting.ValueType switch
    {
        var t when t == typeof(int) => "a whole number, " + setting.Rule,
        var t when t == typeof(double) => "a number, " + setting.Rule,
        var t when t.IsEnum => ValidationErrors.OneOf(setting.Choices.Select(Quote)),
        _ => setting.Rule,
    };

    private static string Quote(string name) => JsonSerializer.Serialize(name);

    // A JSON string's text, or null when it holds invalid UTF-8 or a lone surrogate (no setting's value can).
    private static string? TextOf(JsonElement element)
    {
        try
        {
            return element.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    // The value if the JSON has the setting's type, else null; enum names as JSON writes them, in any case.
    private static object? Convert(TrainingSetting setting, JsonElement element)
    {
        var type = setting.ValueType;
        return element.ValueKind switch
        {
            JsonValueKind.Number when type == typeof(int) => element.TryGetInt32(out var whole) ? whole : null,
            JsonValueKind.Number when type == typeof(double) => element.TryGetDouble(out var real) && double.IsFinite(real) ? real : null,
            JsonValueKind.True or JsonValueKind.False when type == typeof(bool) => element.GetBoolean(),
            JsonValueKind.String when type.IsEnum => setting.Choices.FirstOrDefault(c => string.Equals(c, TextOf(element), StringComparison.OrdinalIgnoreCase)) is { } choice
                ? Enum.Parse(type, choice, ignoreCase: true)
                : null,
            _ => null,
        };
    }
}
