using RnnLm.Engine.Model;

namespace RnnLm.Engine.Training;

/// <summary>
/// The catalog of training settings: the one definition of each setting's name, limits and description, and of the
/// defaults (<see cref="Defaults"/>). The CLI's options, the jobs API's request schema and its validation are made
/// from a catalog; <see cref="Standard"/> is the one they use, and tests build changed copies to prove it.
/// </summary>
public sealed class TrainingSettings
{
    private readonly Dictionary<string, TrainingSetting> _byName;

    /// <param name="settings">In the order help and schemas list them.</param>
    /// <param name="defaults">The value of every setting that is not given.</param>
    public TrainingSettings(IReadOnlyList<TrainingSetting> settings, TrainingOptions defaults)
    {
        All = settings;
        Defaults = defaults;
        _byName = settings.ToDictionary(s => s.Name, StringComparer.Ordinal);
    }

    /// <summary>The catalog every shell uses.</summary>
    public static TrainingSettings Standard { get; } = new(CreateStandard(), new TrainingOptions());

    /// <summary>Every setting, in the order help and schemas list them.</summary>
    public IReadOnlyList<TrainingSetting> All { get; }

    /// <summary>The value of every setting that is not given.</summary>
    public TrainingOptions Defaults { get; }

    /// <summary>The names <see cref="Preset"/> takes: <c>default</c> and every one of <see cref="TrainingPresets"/>.</summary>
    public IEnumerable<string> PresetNames => TrainingPresets.ByName.Keys;

    /// <summary>A named recipe: <c>default</c> is this catalog's <see cref="Defaults"/>, the others <see cref="TrainingPresets"/>'; null for another name.</summary>
    public TrainingOptions? Preset(string name) => name == "default" ? Defaults : TrainingPresets.ByName.GetValueOrDefault(name);

    /// <summary>The setting with this camelCase name, or null.</summary>
    public TrainingSetting? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>A copy with one setting replaced (matched by name): for tests that prove everything is derived.</summary>
    public TrainingSettings With(TrainingSetting setting) =>
        new(All.Select(s => s.Name == setting.Name ? setting : s).ToArray(), Defaults);

    /// <summary>A copy with other defaults.</summary>
    public TrainingSettings WithDefaults(TrainingOptions defaults) => new(All, defaults);

    /// <summary>
    /// Every problem with <paramref name="options"/> as (setting name, message) pairs, in catalog order; empty when
    /// all is allowed. Settings that do not apply (classes with a full softmax) are not checked.
    /// </summary>
    public IReadOnlyList<(string Field, string Message)> Check(TrainingOptions options) =>
        All.Where(s => Applies(s, options))
            .Select(s => (s.Name, Message: s.Check(options)))
            .Where(p => p.Message is not null)
            .Select(p => (p.Name, p.Message!))
            .ToArray();

    /// <summary>
    /// <see cref="Defaults"/> with the given values applied, in catalog order; a setting that <see cref="TrainingSetting.Follows"/>
    /// another takes that one's value when it is not given itself.
    /// </summary>
    /// <exception cref="ArgumentException">A name that is not a setting, or a value of the wrong type.</exception>
    public TrainingOptions Apply(IReadOnlyDictionary<string, object> given)
    {
        foreach (var name in given.Keys.Where(n => !_byName.ContainsKey(n)))
        {
            throw new ArgumentException($"'{name}' is not a training setting.", name);
        }

        var options = Defaults;
        foreach (var setting in All)
        {
            if (given.TryGetValue(setting.Name, out var value))
            {
                options = setting.WithValue(options, value);
            }
            else if (setting.Follows is { } leader && given.TryGetValue(leader, out var led))
            {
                options = setting.WithValue(options, led);
            }
        }

        return options;
    }

    // Dropping more than this leaves too few units for the inverted scaling 1 / (1 − p) to stay a fair estimate.
    private const double MaxDropout = 0.9;

    // 10⁸ float32 weights are 400 MB, and training holds two copies (the weights and the best epoch's): about as much as
    // a 2-core machine shared with a service should give one job. Brown's 800k words use a few million features' worth.
    private const int MaxDirect = 100_000_000;

    private static bool Applies(TrainingSetting setting, TrainingOptions options) =>
        setting.Name != "classes" || options.Output == OutputKind.Classes;

    private static TrainingSetting[] CreateStandard() =>
    [
        new NumberSetting<int>("hidden", "Dh, the hidden layer's width", o => o.Hidden, (o, v) => o with { Hidden = v }, 1, 1024),
        new NumberSetting<int>("embedding", "d, a word embedding's width", o => o.Embedding, (o, v) => o with { Embedding = v }, 1, 1024) { Follows = "hidden" },
        new ChoiceSetting<CellKind>("cell", "Hidden layer: the sigmoid (Elman) layer of the research notes, a GRU (Cho et al. 2014) or an LSTM (forget-gate bias 1, no peepholes)", o => o.Cell, (o, v) => o with { Cell = v }),
        new FlagSetting("tie", "Tie the output word vectors to the input embeddings (U = Lᵀ, Press and Wolf 2017): one |V|×d matrix serves both", o => o.Tie, (o, v) => o with { Tie = v })
        {
            Requires = o => !o.Tie ? null
                : o.Embedding != o.Hidden ? $"Needs embedding equal to hidden; got embedding {o.Embedding}, hidden {o.Hidden}."
                : o.Optimizer != OptimizerKind.Sgd || o.ClipNorm > 0 ? "Works with the sgd optimizer and no clipNorm only (the output layer's in-place step)."
                : o.Output == OutputKind.Tree ? "Cannot apply to a tree output: its output vectors belong to the tree's inner nodes, not to words."
                : null,
        },
        new FlagSetting("noProjection", "Feed each word's embedding row to the hidden layer's gates as it is, with no projection I (rnnlm's and faster-rnnlm's input layer): the rows are cell gates × hidden wide, the multiply-adds of e(t)I and its gradients are saved, and (with sgd) a row steps by alpha at each use, as rnnlm's input weights do", o => o.NoProjection, (o, v) => o with { NoProjection = v })
        {
            Requires = o => !o.NoProjection ? null
                : o.Embedding != o.Hidden ? $"Sets the embedding width itself (cell gates × hidden = {o.EmbeddingWidth}); leave embedding out, not {o.Embedding}."
                : o.Tie && o.Cell != CellKind.Sigmoid ? "Cannot go with tie on a gated cell: its embedding rows would be cell gates × hidden wide, its output vectors hidden wide."
                : null,
        },
        new ChoiceSetting<OutputKind>("output", "Output layer: classes (class-factorized softmax, fast), full (softmax over the whole vocabulary) or tree (hierarchical softmax over a Huffman tree of the training counts, about log2 |V| sigmoid nodes a word: the fastest)", o => o.Output, (o, v) => o with { Output = v }),
        new NumberSetting<int>("classes", "Frequency classes of a class-factorized output (capped at the vocabulary size)", o => o.Classes, (o, v) => o with { Classes = v }, 1, 10_000),
        new NumberSetting<int>("direct", "Maximum-entropy direct connections: entries of their hash table of n-gram weights (rnnlm's -direct, here in entries); 0 turns them off", o => o.Direct, (o, v) => o with { Direct = v }, 0, MaxDirect)
        {
            Requires = o => o.Direct > 0 && o.Output == OutputKind.Tree ? "Not supported with a tree output; use the classes or full output, or direct 0." : null,
        },
        new NumberSetting<int>("directOrder", "N-gram order of the direct connections: features of the last 0 to order − 1 words of the sentence", o => o.DirectOrder, (o, v) => o with { DirectOrder = v }, 1, ModelShape.MaxDirectOrder),
        new NumberSetting<int>("bptt", "Steps the error is carried back beyond each block (rnnlm's -bptt)", o => o.Bptt, (o, v) => o with { Bptt = v }, 0, 64),
        new NumberSetting<int>("bpttBlock", "Words per update and back-propagation sweep (rnnlm's -bptt-block)", o => o.BpttBlock, (o, v) => o with { BpttBlock = v }, 1, 256),
        new NumberSetting<int>("streams", "Sentence streams trained side by side: the batch", o => o.Streams, (o, v) => o with { Streams = v }, 1, 256),
        new NumberSetting<double>("alpha", "Initial learning rate, per stream", o => o.Alpha, (o, v) => o with { Alpha = v }, 0, 10, minExclusive: true),
        new NumberSetting<double>("beta", "L2 penalty: weights shrink by alpha·beta with every update", o => o.Beta, (o, v) => o with { Beta = v }, 0, 0.1),
        new NumberSetting<double>("clip", "Each component of the error at the hidden layer's input is clipped to ±this", o => o.Clip, (o, v) => o with { Clip = v }, 0, 1e6, minExclusive: true),
        new ChoiceSetting<OptimizerKind>("optimizer", "How weights follow their gradient: sgd (rnnlm's rule: alpha times the gradient) or adagrad (alpha times the gradient over the root of each weight's summed squared gradients)", o => o.Optimizer, (o, v) => o with { Optimizer = v }),
        new NumberSetting<double>("clipNorm", "The block's gradient over the whole model (per stream) is scaled down to this norm when longer; 0 turns it off", o => o.ClipNorm, (o, v) => o with { ClipNorm = v }, 0, 1e6),
        new NumberSetting<double>("dropout", "Probability of dropping each unit of the embedding into the hidden layer and of the hidden state into the output layer, in training only (never on the recurrent path); 0 turns it off", o => o.Dropout, (o, v) => o with { Dropout = v }, 0, MaxDropout),
        new NumberSetting<int>("maxEpochs", "Most epochs; the schedule usually stops earlier", o => o.MaxEpochs, (o, v) => o with { MaxEpochs = v }, 1, 100),
        new NumberSetting<double>("minImprovement", "Once an epoch improves validation log-likelihood by less than this factor, alpha halves every epoch; at the patience-th such epoch after that, training stops", o => o.MinImprovement, (o, v) => o with { MinImprovement = v }, 1, 2),
        new NumberSetting<int>("patience", "Epochs of halving alpha that may improve by less than minImprovement before training stops (rnnlm stops at the first: 1)", o => o.Patience, (o, v) => o with { Patience = v }, 1, 100),
        new ChoiceSetting<ScheduleKind>("schedule", "Once alpha has begun to halve: rnnlm (it halves every epoch) or plateau (it halves only after each epoch that improves by less than minImprovement, and holds otherwise)", o => o.Schedule, (o, v) => o with { Schedule = v }),
        new NumberSetting<int>("minCount", "Words seen fewer times in the training text become <unk>", o => o.MinCount, (o, v) => o with { MinCount = v }, 1, 1000),
        new NumberSetting<int>("threads", "Threads for the matrix products; the result is the same bits for any count", o => o.Threads, (o, v) => o with { Threads = v }, 1, 256),
        new FlagSetting("hogwild", "With 2 or more threads: each thread trains its own share of the streams and writes its updates into the shared weights without locks (Hogwild, as faster-rnnlm does); faster, but no longer the same bits from run to run", o => o.Hogwild, (o, v) => o with { Hogwild = v }),
        new NumberSetting<int>("seed", "Random seed for the weights, the sentence order and a held-out split: same seed, same model bytes", o => o.Seed, (o, v) => o with { Seed = v }, int.MinValue, int.MaxValue),
        new NumberSetting<double>("initScale", "Weights start uniform in ±this", o => o.InitScale, (o, v) => o with { InitScale = v }, 0, 10, minExclusive: true),
        new FlagSetting("shuffle", "Shuffle the training sentences each epoch (seeded); rnnlm reads them in order", o => o.Shuffle, (o, v) => o with { Shuffle = v }),
        new FlagSetting("halfPrecision", "Store weights as float16 in the saved model", o => o.HalfPrecision, (o, v) => o with { HalfPrecision = v }),
    ];
}
