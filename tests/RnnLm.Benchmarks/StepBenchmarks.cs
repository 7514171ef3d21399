using BenchmarkDotNet.Attributes;
using RnnLm.Engine;
using RnnLm.Engine.Model;
using RnnLm.Engine.Numerics;
using RnnLm.Engine.Training;

namespace RnnLm.Benchmarks;

/// <summary>
/// One forward step (score the next word after a prefix: hidden step plus the full output layer) and one
/// training step (one block of sentence streams forward and back, with the update), at Brown's vocabulary size.
/// </summary>
public class StepBenchmarks
{
    private const int VocabularySize = 14_115;
    private LanguageModel _model = null!;
    private BpttNetwork<float> _network = null!;
    private Parameters<float> _gradients = null!;
    private Parameters<float> _training = null!;
    private OutputSink<float> _sink = null!;
    private int[][] _sentences = [];
    private int _next;

    [Params(100, 200)]
    public int Hidden { get; set; }

    [Params(OutputKind.Full, OutputKind.Classes)]
    public OutputKind Output { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var words = Enumerable.Range(0, VocabularySize - 2).Select(i => $"w{i}").Append(Vocabulary.UnknownToken).Append(Vocabulary.EndOfSentenceToken).ToArray();
        var counts = Enumerable.Range(0, VocabularySize).Select(i => (long)(1_000_000 / (i + 1))).ToArray();
        var vocabulary = new Vocabulary(words, counts);
        var classes = Output == OutputKind.Classes ? ClassMap.ByFrequency(vocabulary, 100) : null;
        var shape = new ModelShape(VocabularySize, Hidden, Hidden, Output, classes?.ClassCount ?? 0);
        var parameters = new Parameters<float>(shape);
        parameters.Initialize(1);
        _model = new LanguageModel(vocabulary, classes, parameters);
        var random = new Random(2);
        _sentences = [.. Enumerable.Range(0, 1000).Select(_ => Enumerable.Range(0, 20).Select(_ => Zipf(random)).Append(vocabulary.EndOfSentence).ToArray())];
        _training = new Parameters<float>(shape);
        parameters.CopyTo(_training);
        _gradients = new Parameters<float>(shape);
        _sink = new OutputSink<float>(_training, -0.001f) { Keep = 1 - 1e-9f };
        _network = new BpttNetwork<float>(_training, classes, 16, 4, 10, WorkTeam.Single, vocabulary.StartOfSentence, _ => _sentences[_next++ % _sentences.Length])
        {
            Step = (0.001f, 1e-9f),
        };
    }

    [Benchmark]
    public float ForwardStepNextWordDistribution() => _model.NextDistribution(["w1", "w2", "w3"])[0];

    /// <summary>16 streams × 10 words: 160 predicted words forward and back, then the update.</summary>
    [Benchmark(OperationsPerInvoke = 160)]
    public double TrainingStepPerWord()
    {
        _network.RunBlock(_sink, _gradients, out var logProb, out _);
        return logProb;
    }

    private static int Zipf(Random random) => Math.Min(VocabularySize - 2, (int)Math.Exp(random.NextDouble() * Math.Log(VocabularySize)) - 1);
}
