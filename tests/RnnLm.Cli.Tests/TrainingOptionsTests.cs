using System.CommandLine;
using RnnLm.Engine.Training;

namespace RnnLm.Cli.Tests;

/// <summary>train's options are made from the settings catalog: change a default or a limit there and the command line follows.</summary>
public class TrainingOptionsTests
{
    [Fact]
    public void ADefaultAndALimitChangedInTheCatalogShowUpInTrainsHelpAndErrors()
    {
        var catalog = TrainingSettings.Standard
            .With(new NumberSetting<int>("hidden", "Dh, the hidden layer's width", o => o.Hidden, (o, v) => o with { Hidden = v }, 2, 77))
            .WithDefaults(new TrainingOptions { Hidden = 33, Streams = 5 });
        var help = Invoke(catalog, "--help");
        Assert.Matches(@"--hidden <hidden>\s+Dh, the hidden layer's width; from 2 to 77 \[default: 33\]", help.Output);
        Assert.Matches(@"--streams <streams>\s+.*\[default: 5\]", help.Output);

        var error = Assert.Throws<ArgumentException>(() => Read(catalog, "--hidden", "78", "--alpha", "0"));
        Assert.Equal("--hidden: Must be from 2 to 77; got 78. --alpha: Must be greater than 0 and at most 10; got 0.", error.Message);
    }

    [Fact]
    public void OptionsApplyOnTopOfAPresetAndTheEmbeddingFollowsTheHiddenWidth()
    {
        Assert.Equal(TrainingSettings.Standard.Defaults, Read(TrainingSettings.Standard));
        Assert.Equal(TrainingPresets.Rnnlm with { Hidden = 40, Embedding = 40, Seed = 9 }, Read(TrainingSettings.Standard, "--preset", "rnnlm", "--hidden", "40", "--seed", "9"));
        Assert.Equal(TrainingPresets.BrownDefault with { Embedding = 20, Shuffle = false }, Read(TrainingSettings.Standard, "--preset", "brown-default", "--embedding", "20", "--shuffle", "false"));
        Assert.Equal(TrainingPresets.Bench with { Threads = 2, Hogwild = true }, Read(TrainingSettings.Standard, "--preset", "bench", "--threads", "2", "--hogwild"));
    }

    private static TrainingOptions Read(TrainingSettings catalog, params string[] args)
    {
        var binder = new TrainingOptionsBinder(catalog);
        var command = new RootCommand();
        foreach (var option in binder.Options)
        {
            command.Options.Add(option);
        }

        var parse = command.Parse(args);
        Assert.Empty(parse.Errors);
        return binder.Read(parse);
    }

    private static (int Exit, string Output) Invoke(TrainingSettings catalog, params string[] args)
    {
        var output = new StringWriter();
        var exit = new RootCommand { TrainCommand.Create(catalog) }.Parse(["train", .. args]).Invoke(new InvocationConfiguration { Output = output });
        return (exit, output.ToString());
    }
}
