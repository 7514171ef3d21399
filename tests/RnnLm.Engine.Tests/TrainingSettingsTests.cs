using System.Reflection;
using RnnLm.Engine.Model;
using RnnLm.Engine.Training;

namespace RnnLm.Engine.Tests;

/// <summary>The catalog is the one definition of every training setting: complete, checked, and applied in one way.</summary>
public class TrainingSettingsTests
{
    private static readonly TrainingSettings Catalog = TrainingSettings.Standard;

    [Fact]
    public void EveryPropertyOfTheOptionsRecordIsASettingOfTheCatalog()
    {
        var properties = typeof(TrainingOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite)
            .Select(p => char.ToLowerInvariant(p.Name[0]) + p.Name[1..])
            .Order();
        Assert.Equal(properties, Catalog.All.Select(s => s.Name).Order());
    }

    [Fact]
    public void TheDefaultsAndEveryPresetAreAllowed()
    {
        Assert.Empty(Catalog.Check(Catalog.Defaults));
        Assert.All(TrainingPresets.ByName, preset => Assert.Empty(Catalog.Check(preset.Value)));
    }

    [Fact]
    public void EveryNumberSettingRefusesTheValuesJustOutsideItsLimitsAndTakesItsLimits()
    {
        foreach (var setting in Catalog.All.Where(s => s.Minimum is not null))
        {
            var inside = setting.MinimumExclusive ? Nudge(setting, setting.Minimum!.Value, up: true) : setting.Minimum!.Value;
            Assert.Null(setting.Check(With(setting, inside)));
            if (setting.Minimum > int.MinValue)
            {
                var below = setting.MinimumExclusive ? setting.Minimum.Value : Nudge(setting, setting.Minimum.Value, up: false);
                Assert.Contains(setting.Rule, setting.Check(With(setting, below)));
            }

            if (setting.Maximum is { } max && max < int.MaxValue)
            {
                Assert.Null(setting.Check(With(setting, max)));
                Assert.Contains(setting.Rule, setting.Check(With(setting, Nudge(setting, max, up: true))));
            }
        }
    }

    [Fact]
    public void CheckReturnsEveryProblemNamingItsSettingInCatalogOrder()
    {
        var problems = Catalog.Check(new TrainingOptions { Hidden = 0, Alpha = double.NaN, Streams = -3 });
        Assert.Equal(["hidden", "streams", "alpha"], problems.Select(p => p.Field));
        Assert.Equal("Must be from 1 to 1024; got 0.", problems[0].Message);
        Assert.Equal("Must be greater than 0 and at most 10; got NaN.", problems[2].Message);
    }

    [Fact]
    public void ClassesAreNotCheckedForAFullSoftmax()
    {
        Assert.Empty(Catalog.Check(new TrainingOptions { Output = OutputKind.Full, Classes = 0 }));
        Assert.Equal(["classes"], Catalog.Check(new TrainingOptions { Classes = 0 }).Select(p => p.Field));
        Assert.Equal(["output"], Catalog.Check(new TrainingOptions { Output = (OutputKind)7 }).Select(p => p.Field));
    }

    [Fact]
    public void TiedEmbeddingsNeedEqualWidthsAndThePlainSgdStep()
    {
        Assert.Empty(Catalog.Check(new TrainingOptions { Tie = true, Hidden = 64, Embedding = 64 }));
        var unequal = Assert.Single(Catalog.Check(new TrainingOptions { Tie = true, Hidden = 64, Embedding = 32 }));
        Assert.Equal(("tie", "Needs embedding equal to hidden; got embedding 32, hidden 64."), unequal);
        Assert.Equal(["tie"], Catalog.Check(new TrainingOptions { Tie = true, Optimizer = OptimizerKind.Adagrad }).Select(p => p.Field));
        Assert.Equal(["tie"], Catalog.Check(new TrainingOptions { Tie = true, ClipNorm = 5 }).Select(p => p.Field));
        Assert.Empty(Catalog.Check(new TrainingOptions { Tie = false, Hidden = 64, Embedding = 32, Optimizer = OptimizerKind.Adagrad }));
    }

    [Fact]
    public void NoProjectionSetsTheEmbeddingWidthItselfAndTiesOnlyTheSigmoidCell()
    {
        Assert.Empty(Catalog.Check(new TrainingOptions { NoProjection = true, Hidden = 64, Embedding = 64 }));
        Assert.Empty(Catalog.Check(new TrainingOptions { NoProjection = true, Hidden = 64, Embedding = 64, Cell = CellKind.Lstm }));
        Assert.Empty(Catalog.Check(new TrainingOptions { NoProjection = true, Tie = true, Hidden = 64, Embedding = 64 }));
        var given = Assert.Single(Catalog.Check(new TrainingOptions { NoProjection = true, Hidden = 64, Embedding = 32, Cell = CellKind.Gru }));
        Assert.Equal(("noProjection", "Sets the embedding width itself (cell gates × hidden = 192); leave embedding out, not 32."), given);
        Assert.Equal(["noProjection"], Catalog.Check(new TrainingOptions { NoProjection = true, Tie = true, Hidden = 64, Embedding = 64, Cell = CellKind.Gru }).Select(p => p.Field));
        var followed = Catalog.Apply(new Dictionary<string, object> { ["hidden"] = 37, ["noProjection"] = true, ["cell"] = CellKind.Lstm });
        Assert.Empty(Catalog.Check(followed));
    }

    [Fact]
    public void ValidateThrowsNamingTheFirstProblemsSettingAsJsonSpellsIt()
    {
        var error = Assert.Throws<ArgumentException>(() => new TrainingOptions { BpttBlock = 0 }.Validate());
        Assert.Equal("bpttBlock", error.ParamName);
        Assert.StartsWith("bpttBlock: Must be from 1 to 256; got 0.", error.Message);
    }

    [Fact]
    public void ApplyStartsFromTheDefaultsAndTheEmbeddingFollowsTheHiddenWidthUnlessGiven()
    {
        Assert.Equal(Catalog.Defaults, Catalog.Apply(new Dictionary<string, object>()));
        var followed = Catalog.Apply(new Dictionary<string, object> { ["hidden"] = 37, ["alpha"] = 0.5 });
        Assert.Equal(Catalog.Defaults with { Hidden = 37, Embedding = 37, Alpha = 0.5 }, followed);
        var own = Catalog.Apply(new Dictionary<string, object> { ["hidden"] = 37, ["embedding"] = 12 });
        Assert.Equal((37, 12), (own.Hidden, own.Embedding));
        var preset = Catalog.WithDefaults(TrainingPresets.Rnnlm).Apply(new Dictionary<string, object> { ["streams"] = 4 });
        Assert.Equal(TrainingPresets.Rnnlm with { Streams = 4 }, preset);
        var error = Assert.Throws<ArgumentException>(() => Catalog.Apply(new Dictionary<string, object> { ["hiden"] = 3 }));
        Assert.Equal("hiden", error.ParamName);
    }

    [Fact]
    public void NamesOptionsRulesAndChoicesAreDerivedFromOneSpelling()
    {
        var block = Catalog.Find("bpttBlock")!;
        Assert.Equal("--bptt-block", block.OptionName);
        Assert.Equal("from 1 to 256", block.Rule);
        var output = Catalog.Find("output")!;
        Assert.Equal(["full", "classes", "tree"], output.Choices);
        Assert.Equal("full, classes or tree", output.Rule);
        Assert.Equal("classes", output.Format(OutputKind.Classes));
        Assert.Equal("any whole number", Catalog.Find("seed")!.Rule);
        Assert.Equal("1E-06", Catalog.Find("beta")!.Format(1e-6));
        Assert.Null(Catalog.Find("Hidden"));
    }

    [Fact]
    public void AChangedLimitInACopyOfTheCatalogIsWhatTheCopyChecks()
    {
        var narrow = Catalog.With(new NumberSetting<int>("hidden", "narrow", o => o.Hidden, (o, v) => o with { Hidden = v }, 1, 50));
        Assert.Equal("from 1 to 50", narrow.Find("hidden")!.Rule);
        Assert.Equal(["hidden"], narrow.Check(new TrainingOptions { Hidden = 51, Embedding = 10 }).Select(p => p.Field));
        Assert.Empty(Catalog.Check(new TrainingOptions { Hidden = 51 }));
    }

    private static TrainingOptions With(TrainingSetting setting, double value) =>
        setting.WithValue(Catalog.Defaults, setting.ValueType == typeof(int) ? (object)(int)value : value);

    private static double Nudge(TrainingSetting setting, double value, bool up) =>
        setting.ValueType == typeof(int) ? value + (up ? 1 : -1) : up ? Math.BitIncrement(value) : Math.BitDecrement(value);
}
