using System.Globalization;
using System.Numerics;

namespace RnnLm.Engine.Training;

/// <summary>
/// One training setting as every shell shows it: its name (camelCase, as in a JSON request and a model card), its
/// command-line option, its limits and a one-line description. The value lives in <see cref="TrainingOptions"/>;
/// a setting reads it, writes it and checks it. The command line, the jobs API's schema and its validation are all
/// built from <see cref="TrainingSettings"/>, so a default or a limit is written once.
/// </summary>
public abstract class TrainingSetting
{
    private protected TrainingSetting(string name, string description)
    {
        Name = name;
        Description = description;
        OptionName = "--" + string.Concat(name.Select(c => char.IsUpper(c) ? "-" + char.ToLowerInvariant(c) : c.ToString()));
    }

    /// <summary>camelCase, as a JSON field and in a model card's hyperparameters: <c>bpttBlock</c>.</summary>
    public string Name { get; }

    /// <summary>The command-line option: <c>--bptt-block</c>.</summary>
    public string OptionName { get; }

    /// <summary>What it does, in one line, without its limits (see <see cref="Rule"/>).</summary>
    public string Description { get; }

    /// <summary>The value's type: int, double, bool or an enum.</summary>
    public abstract Type ValueType { get; }

    /// <summary>The limits in words, as errors and help show them: "from 1 to 4096", "greater than 0 and at most 10", "classes or full".</summary>
    public abstract string Rule { get; }

    /// <summary>The least value allowed, when there is one.</summary>
    public virtual double? Minimum => null;

    /// <summary>True when <see cref="Minimum"/> itself is not allowed.</summary>
    public virtual bool MinimumExclusive => false;

    /// <summary>The greatest value allowed, when there is one.</summary>
    public virtual double? Maximum => null;

    /// <summary>The names allowed for an enum setting, as JSON and the command line spell them; else empty.</summary>
    public virtual IReadOnlyList<string> Choices => [];

    /// <summary>
    /// The setting whose value this one takes when it is not given (the embedding width follows the hidden width),
    /// or null.
    /// </summary>
    public string? Follows { get; init; }

    /// <summary>
    /// What the value needs of the other settings, as a check of the whole options: null when they allow it, else the
    /// problem (tied embeddings need the embedding width to equal the hidden width). Null when there is no such rule.
    /// </summary>
    public Func<TrainingOptions, string?>? Requires { get; init; }

    /// <summary>The value in <paramref name="options"/>.</summary>
    public abstract object GetValue(TrainingOptions options);

    /// <summary><paramref name="options"/> with this setting set to <paramref name="value"/> (of <see cref="ValueType"/>).</summary>
    public abstract TrainingOptions WithValue(TrainingOptions options, object value);

    /// <summary>The problem with this setting's value in <paramref name="options"/>, or null when it is allowed.</summary>
    public abstract string? Check(TrainingOptions options);

    /// <summary>The value as JSON and the command line write it: invariant numbers, camelCase enum names, lower-case booleans.</summary>
    public string Format(object value) => value switch
    {
        bool flag => flag ? "true" : "false",
        Enum choice => JsonName(choice.ToString()),
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private protected static string JsonName(string name) => char.ToLowerInvariant(name[0]) + name[1..];
}

/// <summary>A setting whose value is a <typeparamref name="T"/>: how to read it from and write it to the options.</summary>
public abstract class TrainingSetting<T> : TrainingSetting where T : struct
{
    private readonly Func<TrainingOptions, T> _get;
    private readonly Func<TrainingOptions, T, TrainingOptions> _with;

    private protected TrainingSetting(string name, string description, Func<TrainingOptions, T> get, Func<TrainingOptions, T, TrainingOptions> with)
        : base(name, description)
    {
        (_get, _with) = (get, with);
    }

    public override Type ValueType => typeof(T);

    public override object GetValue(TrainingOptions options) => _get(options);

    public override TrainingOptions WithValue(TrainingOptions options, object value) => _with(options, (T)value);

    public override string? Check(TrainingOptions options) => Check(_get(options)) ?? Requires?.Invoke(options);

    /// <summary>The problem with <paramref name="value"/>, or null when it is allowed.</summary>
    public abstract string? Check(T value);
}

/// <summary>A whole or real number in a closed range (or half-open at the bottom).</summary>
public sealed class NumberSetting<T> : TrainingSetting<T> where T : struct, INumber<T>
{
    private readonly T _min;
    private readonly T? _max;
    private readonly bool _minExclusive;

    /// <param name="name">camelCase, as JSON spells it.</param>
    /// <param name="description">One line, without the limits.</param>
    /// <param name="get">Reads the value.</param>
    /// <param name="with">A copy with the value set.</param>
    /// <param name="min">The least value (or the bound values must exceed, with <paramref name="minExclusive"/>).</param>
    /// <param name="max">null: no upper limit.</param>
    /// <param name="minExclusive">true: values must be greater than <paramref name="min"/>.</param>
    public NumberSetting(string name, string description, Func<TrainingOptions, T> get, Func<TrainingOptions, T, TrainingOptions> with, T min, T? max, bool minExclusive = false)
        : base(name, description, get, with)
    {
        (_min, _max, _minExclusive) = (min, max, minExclusive);
    }

    public override double? Minimum => double.CreateChecked(_min);

    public override bool MinimumExclusive => _minExclusive;

    public override double? Maximum => _max is { } max ? double.CreateChecked(max) : null;

    public override string Rule => (_minExclusive, _max) switch
    {
        (false, { } max) when IsWidest(_min, max) => "any whole number",
        (false, { } max) => $"from {Format(_min)} to {Format(max)}",
        (true, { } max) => $"greater than {Format(_min)} and at most {Format(max)}",
        (false, null) => $"at least {Format(_min)}",
        (true, null) => $"greater than {Format(_min)}",
    };

    public override string? Check(T value)
    {
        var low = _minExclusive ? value > _min : value >= _min;
        var high = _max is not { } max || value <= max;
        return low && high && !T.IsNaN(value) ? null : $"Must be {Rule}; got {Format(value)}.";
    }

    // An int setting that takes every int (the seed) has no limits worth printing.
    private static bool IsWidest(T min, T max) => typeof(T) == typeof(int) && int.CreateChecked(min) == int.MinValue && int.CreateChecked(max) == int.MaxValue;
}

/// <summary>One of an enum's named values.</summary>
public sealed class ChoiceSetting<T>(string name, string description, Func<TrainingOptions, T> get, Func<TrainingOptions, T, TrainingOptions> with)
    : TrainingSetting<T>(name, description, get, with) where T : struct, Enum
{

    public override IReadOnlyList<string> Choices { get; } = Enum.GetNames<T>().Select(JsonName).ToArray();

    public override string Rule => Choices.Count switch
    {
        1 => Choices[0],
        _ => string.Join(", ", Choices.Take(Choices.Count - 1)) + " or " + Choices[^1],
    };

    public override string? Check(T value) => Enum.IsDefined(value) ? null : $"Must be {Rule}.";
}

/// <summary>On or off.</summary>
public sealed class FlagSetting(string name, string description, Func<TrainingOptions, bool> get, Func<TrainingOptions, bool, TrainingOptions> with)
    : TrainingSetting<bool>(name, description, get, with)
{
    public override string Rule => "true or false";

    public override string? Check(bool value) => null;
}
