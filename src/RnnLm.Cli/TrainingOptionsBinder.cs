using System.CommandLine;
using System.Reflection;
using RnnLm.Engine.Training;

namespace RnnLm.Cli;

/// <summary>
/// The options of <c>train</c> and <c>bench</c>, made from a <see cref="TrainingSettings"/> catalog: one option a
/// setting, with its description, limits and default as the catalog defines them, plus <c>--preset</c>. Options the
/// command line gives apply on top of the preset; every problem is reported at once, naming the options.
/// </summary>
internal sealed class TrainingOptionsBinder
{
    private readonly TrainingSettings _catalog;
    private readonly string _defaultPreset;
    private readonly List<(TrainingSetting Setting, Option Option)> _options = [];
    private readonly Option<string> _preset;

    /// <param name="catalog">The settings and their defaults.</param>
    /// <param name="defaultPreset">The preset used when <c>--preset</c> is not given (bench has its own).</param>
    /// <param name="aliases">Extra spellings of an option, by setting name.</param>
    public TrainingOptionsBinder(TrainingSettings catalog, string defaultPreset = "default", IReadOnlyDictionary<string, string>? aliases = null)
    {
        _catalog = catalog;
        _defaultPreset = defaultPreset;
        var defaults = catalog.Preset(defaultPreset) ?? throw new ArgumentException($"'{defaultPreset}' is not a preset.", nameof(defaultPreset));
        foreach (var setting in catalog.All)
        {
            var option = Create(setting, defaults);
            if (aliases?.GetValueOrDefault(setting.Name) is { } alias)
            {
                option.Aliases.Add(alias);
            }

            _options.Add((setting, option));
        }

        _preset = new("--preset")
        {
            Description = $"Start from a named recipe; the options given apply on top of it: {string.Join(", ", catalog.PresetNames)}",
            DefaultValueFactory = _ => defaultPreset,
        };
        _preset.AcceptOnlyFromAmong([.. catalog.PresetNames]);
    }

    public IEnumerable<Option> Options => _options.Select(o => o.Option).Append(_preset);

    /// <summary>The preset with the options the command line gives applied on top of it.</summary>
    /// <exception cref="ArgumentException">Every value out of its limits, one line each, naming the options.</exception>
    public TrainingOptions Read(ParseResult parse)
    {
        var given = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (setting, option) in _options)
        {
            if (parse.GetResult(option) is { Implicit: false } result && result.GetValueOrDefault<object>() is { } value)
            {
                given[setting.Name] = value;
            }
        }

        var options = _catalog.WithDefaults(_catalog.Preset(parse.GetValue(_preset) ?? _defaultPreset)!).Apply(given);
        var problems = _catalog.Check(options);
        if (problems.Count > 0)
        {
            var byName = _options.ToDictionary(o => o.Setting.Name, o => o.Option.Name);
            throw new ArgumentException(string.Join(" ", problems.Select(p => $"{byName[p.Field]}: {p.Message}")));
        }

        return options;
    }

    private static Option Create(TrainingSetting setting, TrainingOptions defaults)
    {
        // A follower (the embedding width) has no default of its own: it takes its leader's value when not given.
        var follows = setting.Follows is { } leader ? $" (default: the {leader} width)" : "";
        var description = $"{setting.Description}; {setting.Rule}{follows}";
        return (Option)typeof(TrainingOptionsBinder).GetMethod(nameof(CreateTyped), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(setting.ValueType)
            .Invoke(null, [setting, description, setting.Follows is null ? setting.GetValue(defaults) : null])!;
    }

    private static Option<T> CreateTyped<T>(TrainingSetting setting, string description, object? fallback)
    {
        var option = new Option<T>(setting.OptionName) { Description = description };
        if (fallback is T value && typeof(T).IsEnum)
        {
            // Help would print an enum's default as C# names it (Sigmoid); say it as the option takes it (sigmoid).
            option.Description += $" [default: {setting.Format(value)}]";
        }
        else if (fallback is T other)
        {
            option.DefaultValueFactory = _ => other;
        }

        if (typeof(T).IsEnum)
        {
            // A choice as JSON spells it (in any case); another word is one line naming the choices, as every problem is.
            option.HelpName = string.Join('|', setting.Choices);
            option.CustomParser = result =>
            {
                var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
                if (setting.Choices.FirstOrDefault(c => string.Equals(c, text, StringComparison.OrdinalIgnoreCase)) is { } choice)
                {
                    return (T)Enum.Parse(typeof(T), choice, ignoreCase: true);
                }

                result.AddError($"{setting.OptionName}: Must be {setting.Rule}; got '{text}'.");
                return default;
            };
        }

        return option;
    }
}
