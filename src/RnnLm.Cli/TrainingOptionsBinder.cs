using System.CommandLine;
using RnnLm.Engine.Model;
using RnnLm.Engine.Training;

namespace RnnLm.Cli;

/// <summary>
/// The options that shape a model and its training, shared by <c>train</c> and <c>bench</c>: declared once, with the
/// engine's defaults unless a command gives its own, and read back into <see cref="TrainingOptions"/>.
/// </summary>
internal sealed class TrainingOptionsBinder
{
    private readonly Option<int> _hidden;
    private readonly Option<int?> _embedding;
    private readonly Option<OutputKind> _output;
    private readonly Option<int> _classes;
    private readonly Option<int> _bptt;
    private readonly Option<int> _block;
    private readonly Option<int> _streams;
    private readonly Option<double> _alpha;
    private readonly Option<double> _beta;
    private readonly Option<double> _clip;
    private readonly Option<int> _minCount;
    private readonly Option<int> _threads;
    private readonly Option<int> _seed;
    private readonly Option<double> _initScale;

    /// <param name="defaults">The values used when an option is not given.</param>
    public TrainingOptionsBinder(TrainingOptions defaults)
    {
        _hidden = new("--hidden") { Description = "Hidden layer width Dh", DefaultValueFactory = _ => defaults.Hidden };
        _embedding = new("--embedding") { Description = "Embedding width d (default: the hidden width)" };
        _output = new("--output") { Description = "Output layer: full or classes", DefaultValueFactory = _ => defaults.Output };
        _classes = new("--classes") { Description = "Frequency classes for --output classes", DefaultValueFactory = _ => defaults.Classes };
        _bptt = new("--bptt") { Description = "Steps the error is carried back beyond each block", DefaultValueFactory = _ => defaults.Bptt };
        _block = new("--bptt-block") { Description = "Words per update", DefaultValueFactory = _ => defaults.BpttBlock };
        _streams = new("--streams") { Description = "Sentence streams trained side by side (the batch)", DefaultValueFactory = _ => defaults.Streams };
        _alpha = new("--alpha") { Description = "Initial learning rate", DefaultValueFactory = _ => defaults.Alpha };
        _beta = new("--beta") { Description = "L2 penalty", DefaultValueFactory = _ => defaults.Beta };
        _clip = new("--clip") { Description = "Gradient clipping threshold at the hidden layer", DefaultValueFactory = _ => defaults.Clip };
        _minCount = new("--min-count") { Description = "Words seen fewer times become <unk>", DefaultValueFactory = _ => defaults.MinCount };
        _threads = Cli.ThreadsOption(defaults.Threads);
        _seed = new("--seed") { Description = "Random seed: same seed, same model bytes", DefaultValueFactory = _ => defaults.Seed };
        _initScale = new("--init-scale") { Description = "Initial weights are uniform in ±this", DefaultValueFactory = _ => defaults.InitScale };
    }

    public IEnumerable<Option> Options => [_hidden, _embedding, _output, _classes, _bptt, _block, _streams, _alpha, _beta, _clip, _minCount, _threads, _seed, _initScale];

    /// <summary>The options as given on the command line; the rest of <see cref="TrainingOptions"/> at the engine's defaults.</summary>
    public TrainingOptions Read(ParseResult parse) => new()
    {
        Hidden = parse.GetValue(_hidden),
        Embedding = parse.GetValue(_embedding) ?? parse.GetValue(_hidden),
        Output = parse.GetValue(_output),
        Classes = parse.GetValue(_classes),
        Bptt = parse.GetValue(_bptt),
        BpttBlock = parse.GetValue(_block),
        Streams = parse.GetValue(_streams),
        Alpha = parse.GetValue(_alpha),
        Beta = parse.GetValue(_beta),
        Clip = parse.GetValue(_clip),
        MinCount = parse.GetValue(_minCount),
        Threads = parse.GetValue(_threads),
        Seed = parse.GetValue(_seed),
        InitScale = parse.GetValue(_initScale),
    };
}
