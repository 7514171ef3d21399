using System.Diagnostics;
using System.Numerics.Tensors;
using System.Text.Json;
using System.Text.Json.Nodes;
using RnnLm.Engine.IO;
using RnnLm.Engine.Model;
using RnnLm.Engine.Numerics;

namespace RnnLm.Engine.Training;

/// <summary>
/// Trains a model by stochastic gradient descent with truncated back-propagation through time, with the
/// learning-rate schedule of Mikolov's rnnlm. Runs synchronously on the calling thread (plus threads − 1
/// threads of its own, see <see cref="WorkTeam"/>), checks cancellation after every block, and is deterministic
/// for a seed, whatever the thread count, unless <see cref="TrainingOptions.Hogwild"/> is set: then the threads
/// update the shared weights without locks, in an order that changes from run to run.
/// </summary>
public sealed class Trainer
{
    private readonly TrainingOptions _options;
    private readonly Action<TrainingProgress>? _progress;

    public Trainer(TrainingOptions options, Action<TrainingProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Validate();
        _progress = progress;
    }

    /// <summary>The least time between two reports within an epoch (tests make it zero: a report after every block).</summary>
    internal TimeSpan ReportInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Trains on <paramref name="train"/>, validating on <paramref name="valid"/> after every epoch.
    /// With a <paramref name="checkpointDirectory"/>, writes a checkpoint after every epoch and, when one
    /// is already there and <paramref name="resume"/> is set, continues from it.
    /// </summary>
    /// <exception cref="ArgumentException">The texts are empty, or the checkpoint belongs to other data or options.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public TrainingResult Train(IReadOnlyList<string[]> train, IReadOnlyList<string[]> valid, string? checkpointDirectory = null, bool resume = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(valid);
        if (train.Count == 0 || valid.Count == 0)
        {
            throw new ArgumentException("Training and validation texts must each hold at least one sentence.");
        }

        var total = Stopwatch.StartNew();
        var o = _options;
        var vocabulary = Vocabulary.Build(train, o.MinCount);
        var shape = new ModelShape(vocabulary.Count, o.EmbeddingWidth, o.Hidden, o.Output,
            o.Output == OutputKind.Classes ? Math.Min(o.Classes, vocabulary.Count) : 0,
            o.Cell, DirectSize: o.Direct, DirectOrder: o.Direct > 0 ? o.DirectOrder : 0, Tied: o.Tie, NoProjection: o.NoProjection);
        var classes = o.Output == OutputKind.Classes ? ClassMap.ByFrequency(vocabulary, shape.ClassCount) : null;
        shape = shape with { ClassCount = classes?.ClassCount ?? 0 };
        var tree = o.Output == OutputKind.Tree ? WordTree.FromCounts(vocabulary.Counts) : null;
        var parameters = new Parameters<float>(shape);
        parameters.Initialize(o.Seed, o.InitScale);

        var state = new CheckpointState { Alpha = o.Alpha, BestLogProb = double.NegativeInfinity };
        var optimizer = new Optimizer<float>(o.Optimizer, shape);
        var resumedFrom = 0;
        if (resume && checkpointDirectory is not null && Checkpoint.TryLoad(checkpointDirectory, o, vocabulary, out var saved, out var savedState))
        {
            saved.Parameters.CopyTo(parameters);
            state = savedState;
            resumedFrom = state.Epoch;
            if (optimizer.Accumulators is { } accumulators)
            {
                Checkpoint.LoadAccumulators(checkpointDirectory, state).CopyTo(accumulators);
            }
        }

        var trainIds = train.Select(s => (int[])[.. vocabulary.Map(s), vocabulary.EndOfSentence]).ToArray();
        var best = new Parameters<float>(shape);
        parameters.CopyTo(best);
        var bestAccumulators = optimizer.Accumulators is { } current ? new Parameters<float>(shape) : null;
        optimizer.Accumulators?.CopyTo(bestAccumulators!);
        using var team = new WorkTeam(o.Threads);
        // Plain SGD without clipping by norm steps each part of the model as soon as its gradient is known (the output
        // layer in place): rnnlm's way, and the fastest. Anything else needs the whole block's gradient first.
        var buffered = o.Optimizer != OptimizerKind.Sgd || o.ClipNorm > 0;
        // Hogwild lanes: one per thread, each with streams of its own (so no more than there are streams), each with its own gradients.
        var lanes = o.Hogwild ? Math.Min(o.Threads, o.Streams) : 1;
        var gradients = Enumerable.Range(0, lanes).Select(_ => buffered ? new Parameters<float>(shape) : Parameters<float>.RecurrentGradients(shape)).ToArray();
        var run = new Run(vocabulary, classes, tree, parameters, best, gradients, buffered ? optimizer : null, bestAccumulators, trainIds, trainIds.Sum(s => (long)s.Length), team);

        while (!state.Stopped && state.Epoch < o.MaxEpochs)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var epoch = state.Epoch + 1;
            var (words, logProb, elapsed) = TrainEpoch(run, epoch, state, cancellationToken);
            state.TrainingSeconds += elapsed.TotalSeconds;
            state.TrainingWords += words;
            state.TrainPerplexity.Add(Math.Exp(-logProb / Math.Max(words, 1)));

            var validScore = new LanguageModel(vocabulary, classes, parameters, tree: tree).ScoreCorpus(valid, o.Threads);
            state.ValidPerplexity.Add(validScore.Perplexity);
            UpdateSchedule(run, state, validScore.LogProb);
            state.Epoch = epoch;
            if (checkpointDirectory is not null)
            {
                Checkpoint.Save(checkpointDirectory, new LanguageModel(vocabulary, classes, parameters, Metadata(state), tree), o, state,
                                optimizer.Accumulators is { } accumulators ? new LanguageModel(vocabulary, classes, accumulators, tree: tree) : null);
            }

            _progress?.Invoke(Report(epoch, words, run.TrainWords, logProb, elapsed, state, done: true));
        }

        best.CopyTo(parameters);
        var model = new LanguageModel(vocabulary, classes, parameters, Metadata(state), tree);
        var bestPerplexity = Math.Exp(-state.BestLogProb / valid.Sum(s => s.Length + 1L));
        return new TrainingResult(model, state.Epoch, total.Elapsed.TotalSeconds, state.TrainingSeconds, state.TrainingWords,
            state.TrainingSeconds > 0 ? state.TrainingWords / state.TrainingSeconds : 0, bestPerplexity, state.ValidPerplexity)
        {
            ResumedFromEpoch = resumedFrom,
        };
    }

    // One pass over the training text in this epoch's order, stepping the weights after every block. With Hogwild, each
    // lane (a member of the team) runs its own share of the streams through a network of its own and steps the shared
    // weights without locks; the lanes draw the epoch's sentences from one counter, so each sentence is trained once.
    private (long Words, double LogProb, TimeSpan Elapsed) TrainEpoch(Run run, int epoch, CheckpointState state, CancellationToken cancellationToken)
    {
        var o = _options;
        var order = Enumerable.Range(0, run.TrainIds.Length).ToArray();
        if (o.Shuffle)
        {
            // Not HashCode.Combine: it is salted per process, and the order must be the same in every run.
            new Random(unchecked((o.Seed * 1_000_003) + epoch)).Shuffle(order);
        }

        var next = 0;
        var lanes = run.Gradients.Length;
        var rate = (float)(state.Alpha / o.Streams);
        var directDecay = (float)(rate * o.Beta); // at every use of an entry of D
        // At every block: lanes of 1/lanes of the streams take blocks lanes times as often, so each shrinks 1/lanes as much.
        var decay = (float)(rate * o.Beta / lanes);
        if (run.Optimizer is { } optimizer)
        {
            (optimizer.Rate, optimizer.Scale, optimizer.Decay, optimizer.ClipNorm) = ((float)state.Alpha, (float)(1.0 / o.Streams), decay, o.ClipNorm);
        }

        var clock = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        var words = new long[lanes];
        var logProbs = new double[lanes];
        var failed = false;
        if (lanes == 1)
        {
            TrainLane(0, o.Streams, run.Team);
        }
        else
        {
            // Lane k takes streams k, k + lanes, ...: a share of o.Streams, with their rate per stream unchanged.
            run.Team.Run(lane =>
            {
                if (lane < lanes)
                {
                    TrainLane(lane, (o.Streams - lane + lanes - 1) / lanes, WorkTeam.Single);
                }
            });
        }

        clock.Stop();
        return (words.Sum(), logProbs.Sum(), clock.Elapsed);

        int[]? NextSentence(int stream)
        {
            var i = Interlocked.Increment(ref next) - 1;
            return i < order.Length ? run.TrainIds[order[i]] : null;
        }

        void TrainLane(int lane, int streams, WorkTeam team)
        {
            var gradients = run.Gradients[lane];
            var network = new BpttNetwork<float>(run.Parameters, run.Classes, streams, o.Bptt, o.BpttBlock, team, run.Vocabulary.StartOfSentence, NextSentence, run.Tree)
            {
                Clip = (float)o.Clip,
                Step = run.Optimizer is null ? (rate, decay) : null,
                // Without a projection a word's embedding row is its own input weights, as in rnnlm, and like rnnlm's they take
                // alpha at each use: alpha / streams would leave them streams times slower than the dense weights they replace.
                RowRate = o.NoProjection ? (float)state.Alpha : null,
                Optimizer = run.Optimizer,
                Dropout = o.Dropout > 0 ? new Dropout(o.Dropout, o.Seed, epoch, lane) : null,
            };
            var sink = run.Optimizer is null ? new OutputSink<float>(run.Parameters, -rate) { Keep = 1 - decay, DirectDecay = directDecay } : new OutputSink<float>(gradients, 1);
            try
            {
                while (!Volatile.Read(ref failed) && network.RunBlock(sink, gradients, out var blockLogProb, out var blockWords))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    words[lane] += blockWords;
                    logProbs[lane] += blockLogProb;
                    // The calling thread (lane 0) reports for all lanes, with the other lanes' totals as far as it sees them.
                    if (lane == 0 && _progress is not null && clock.Elapsed - lastReport >= ReportInterval)
                    {
                        lastReport = clock.Elapsed;
                        _progress(Report(epoch, words.Sum(), run.TrainWords, logProbs.Sum(), clock.Elapsed, state, done: false));
                    }
                }
            }
            catch
            {
                // The other lanes stop at their next block; the team throws this lane's exception once they have.
                Volatile.Write(ref failed, true);
                throw;
            }
        }
    }

    // Keeps the best weights so far (a worse epoch is rolled back) and applies rnnlm's learning-rate schedule.
    private void UpdateSchedule(Run run, CheckpointState state, double validLogProb)
    {
        var previousBest = state.BestLogProb;
        // Written so that NaN (a diverged model) counts as worse and as too small an improvement.
        if (!(validLogProb >= previousBest))
        {
            // Worse than before this epoch: roll back, the optimiser's state too, as if the epoch had not been.
            run.Best.CopyTo(run.Parameters);
            run.BestAccumulators?.CopyTo(run.Optimizer!.Accumulators!);
        }
        else
        {
            run.Parameters.CopyTo(run.Best);
            run.Optimizer?.Accumulators?.CopyTo(run.BestAccumulators!);
            state.BestLogProb = validLogProb;
        }

        state.Advance(validLogProb, previousBest, _options);
    }

    private TrainingProgress Report(int epoch, long words, long trainWords, double logProb, TimeSpan elapsed, CheckpointState state, bool done)
    {
        var speed = words / Math.Max(elapsed.TotalSeconds, 1e-9);
        var eta = TimeSpan.FromSeconds(Math.Max(0, trainWords - words) / Math.Max(speed, 1e-9));
        return new TrainingProgress(epoch, (double)words / trainWords, speed, -logProb / Math.Max(words, 1) / Math.Log(2), state.Alpha, [.. state.ValidPerplexity], eta, done, [.. state.TrainPerplexity]);
    }

    // The settings every model's metadata has named since the first model file (version 1).
    private static readonly HashSet<string> FirstModelsSettings =
        ["hidden", "embedding", "output", "classes", "bptt", "bpttBlock", "streams", "alpha", "beta", "clip", "maxEpochs", "minImprovement", "minCount", "seed", "initScale", "shuffle", "halfPrecision"];

    // No timings here: the same seed must give the same model bytes. The card beside the file holds them.
    private string Metadata(CheckpointState state)
    {
        var o = _options;
        // Nor the thread count: it changes the speed, never the weights.
        var trainer = JsonSerializer.SerializeToNode(o, CheckpointJson.Default.TrainingOptions)!.AsObject();
        trainer.Remove("threads");

        // A setting that came after the first models (a cell, direct connections, an optimiser, ...) is left unsaid at
        // its default, so that a model trained without it keeps the metadata, and so the bytes, it had before it existed.
        var defaults = TrainingSettings.Standard.Defaults;
        foreach (var setting in TrainingSettings.Standard.All.Where(s => !FirstModelsSettings.Contains(s.Name)))
        {
            if (setting.GetValue(o).Equals(setting.GetValue(defaults)))
            {
                trainer.Remove(setting.Name);
            }
        }

        var node = new JsonObject
        {
            ["trainer"] = trainer,
            ["epochs"] = state.Epoch,
            ["trainingWords"] = state.TrainingWords,
            ["validPerplexity"] = new JsonArray([.. state.ValidPerplexity.Select(p => JsonValue.Create(Math.Round(p, 3)))]),
        };
        return node.ToJsonString();
    }

    /// <summary>What every epoch of one <see cref="Train"/> call works on.</summary>
    /// <remarks>
    /// <see cref="Optimizer"/> is null when plain SGD steps in place; <see cref="BestAccumulators"/> is AdaGrad's state
    /// that goes with <see cref="Best"/>. <see cref="Gradients"/> has one buffer per lane: one, or one per Hogwild thread.
    /// </remarks>
    private sealed record Run(Vocabulary Vocabulary, ClassMap? Classes, WordTree? Tree, Parameters<float> Parameters, Parameters<float> Best,
                              Parameters<float>[] Gradients, Optimizer<float>? Optimizer, Parameters<float>? BestAccumulators,
                              int[][] TrainIds, long TrainWords, WorkTeam Team);
}
