using RnnLm.Engine.Model;
using RnnLm.Engine.Numerics;

namespace RnnLm.Engine.Inference;

/// <summary>
/// Scratch for one call at a time: hidden states, contexts and the output layer's buffers, grown on demand and reused.
/// The running state of <see cref="Follow"/> and <see cref="Advance"/> is a <see cref="RecurrentState"/> (h(t), and the
/// LSTM's c(t)) and the recent words the direct connections read.
/// </summary>
/// <remarks>
/// A batch of sentences is scored in lock-step: step t of every sentence still running is one <see cref="CellSteps"/>
/// call, so the recurrent products are matrix products over the sentences, and the output layer then runs once over
/// every step of every sentence. The sentences are taken longest first, so that those running at step t are the first
/// ones and their states are contiguous rows: the hidden states are kept step by step, [step][sentence, Dh].
/// </remarks>
internal sealed class Session
{
    /// <summary>
    /// About how many predictions the scorer batches for a session of a model with output layer <paramref name="output"/>.
    /// A class layer reads every class's rows of U once a batch, so larger batches read U less often (measured on Brown:
    /// 2,048 a little faster than 1,024 and 4,096, 256 about 15% slower); a full softmax holds [rows, |V|] logits, 14 MB
    /// for 256 rows of Brown's vocabulary. A tree output holds no logits for the rows, so it takes the class layer's batches.
    /// </summary>
    public static int BatchRows(OutputKind output) => output == OutputKind.Full ? 256 : 2048;

    /// <summary>
    /// From how many sentences a batch runs a class layer's class part step by step, on each step's rows while they are in
    /// cache (Brown test, batches of 2,048 predictions: the class product went from about 40 to 28 ms of a one-thread
    /// eval); with fewer sentences the steps are a handful of rows, each product of which would cost about what one over
    /// all rows does, so they take it once after the steps. Either way a row gets the same bits.
    /// </summary>
    private const int StepwiseSentences = 32;

    private readonly LanguageModel _model;
    private readonly OutputLayer<float> _output;
    private readonly CellSteps _steps;
    private readonly int _hiddenWidth;
    private readonly bool _lstm;
    private readonly int _contextWidth; // N − 1 with direct connections, else 0
    private readonly RecentWords _recent;
    private RecurrentState _state; // the running state of Follow and Advance
    private RecurrentState _next;
    private float[] _hidden = []; // [rows, Dh] h(t) of every step of every sentence of a batch, step by step
    private float[] _memory = []; // [2, sentences, Dh] LSTM: c of the last step and of this one; else empty
    private int[] _targets = []; // [rows] in the order of _hidden
    private int[] _contexts = []; // [rows, N − 1] in the order of _hidden
    private float[] _rowLogProbs = []; // [rows] in the order of _hidden
    private float[] _classLogProbs = []; // [rows] a class layer's log P(class of the target), in the order of _hidden
    private int[] _inputs = []; // [sentences] one step's input words
    private long[] _byLength = []; // [sentences] (longest − length) << 32 | index: sorted, the batch's order
    private int[] _stepStarts = []; // [steps + 1] the first row of each step in _hidden
    private float[] _words = []; // [|V|] a distribution, or [class size] one class's words, for Next
    private float[] _classKeys = []; // [C] −P(c), to sort the classes by
    private int[] _classOrder = []; // [C] the classes, most probable first
    private int[] _firstToken = []; // [sentences] where each sentence's log-probabilities start in the caller's order

    public Session(LanguageModel model, float[] projectedInput)
    {
        _model = model;
        _output = new OutputLayer<float>(model.Parameters, model.Classes, WorkTeam.Single, model.Tree);
        _steps = new CellSteps(model.Shape, projectedInput, model.Parameters.Recurrent);
        _hiddenWidth = model.Shape.Hidden;
        _lstm = model.Shape.Cell == CellKind.Lstm;
        (_state, _next) = (new RecurrentState(model.Shape), new RecurrentState(model.Shape));
        _contextWidth = model.Shape.DirectSize > 0 ? model.Shape.DirectOrder - 1 : 0;
        _recent = new RecentWords(_contextWidth);
    }

    /// <summary>Log-probabilities of every word and <c>&lt;/s&gt;</c> of each sentence, in order, into <paramref name="logProbs"/>.</summary>
    public void ScoreSentences(int[][] sentences, Span<float> logProbs)
    {
        var (dh, count, width) = (_hiddenWidth, sentences.Length, _contextWidth);
        var (rows, steps) = Arrange(sentences);
        var hidden = Scratch.Grow(ref _hidden, rows * dh);
        var memory = Scratch.Grow(ref _memory, _lstm ? 2 * count * dh : 0);
        var targets = Scratch.Grow(ref _targets, rows);
        var contexts = Scratch.Grow(ref _contexts, rows * width);
        var inputs = Scratch.Grow(ref _inputs, count);
        var classLayer = _model.Classes is not null;
        var classLogProbs = Scratch.Grow(ref _classLogProbs, classLayer ? rows : 0);
        var stepwise = classLayer && count >= StepwiseSentences;
        var vocabulary = _model.Vocabulary;
        for (var t = 0; t < steps; t++)
        {
            var (first, running) = (_stepStarts[t], _stepStarts[t + 1] - _stepStarts[t]);
            for (var i = 0; i < running; i++)
            {
                var s = sentences[(int)_byLength[i]];
                inputs[i] = t == 0 ? vocabulary.StartOfSentence : s[t - 1];
                targets[first + i] = t < s.Length ? s[t] : vocabulary.EndOfSentence;
                DirectFeatures.Context(s, t, vocabulary.StartOfSentence, contexts.Slice((first + i) * width, width));
            }

            // The sentences running at step t are the first of those running at t − 1, so their h(t − 1) are the first
            // rows of the last step.
            var previous = t == 0 ? default : hidden.Slice(_stepStarts[t - 1] * dh, running * dh);
            var (lastMemory, thisMemory) = ((t + 1) % 2 * count * dh, t % 2 * count * dh);
            var previousMemory = t == 0 || !_lstm ? default : memory.Slice(lastMemory, running * dh);
            _steps.Step(running, inputs, previous, previousMemory, hidden.Slice(first * dh, running * dh), _lstm ? memory.Slice(thisMemory, running * dh) : default);
            if (stepwise)
            {
                // The class part while the step's hidden states are still in cache.
                _output.ScoreClasses(hidden.Slice(first * dh, running * dh), targets.Slice(first, running), contexts.Slice(first * width, running * width), classLogProbs.Slice(first, running), first);
            }
        }

        if (classLayer && !stepwise)
        {
            _output.ScoreClasses(hidden, targets, contexts, classLogProbs);
        }

        var rowLogProbs = Scratch.Grow(ref _rowLogProbs, rows);
        if (classLayer)
        {
            _output.ScoreWords(_hidden, _targets, rows, classLogProbs, rowLogProbs);
        }
        else
        {
            _output.Run(_hidden, _targets, _contexts, rows, rowLogProbs, null, null);
        }

        for (var t = 0; t < steps; t++)
        {
            var first = _stepStarts[t];
            for (var i = 0; i < _stepStarts[t + 1] - first; i++)
            {
                logProbs[_firstToken[(int)_byLength[i]] + t] = rowLogProbs[first + i];
            }
        }
    }

    /// <summary>h(t) of sentence <paramref name="sentence"/> after <paramref name="t"/> + 1 steps of the last <see cref="ScoreSentences"/>: tests compare it with the running state.</summary>
    internal ReadOnlySpan<float> BatchHidden(int sentence, int t)
    {
        var rank = Array.FindIndex(_byLength, 0, _stepStarts[1], key => (int)key == sentence);
        return _hidden.AsSpan((_stepStarts[t] + rank) * _hiddenWidth, _hiddenWidth);
    }

    /// <summary>Starts a sentence and reads <paramref name="context"/> into the running state.</summary>
    /// <remarks>The running state of prefixes and generation: each further token costs one <see cref="Advance"/>, not a
    /// pass over the whole context.</remarks>
    public void Follow(ReadOnlySpan<int> context)
    {
        _steps.Step(1, [_model.Vocabulary.StartOfSentence], default, default, _state.Hidden, _state.Memory);
        _recent.Start(_model.Vocabulary.StartOfSentence);
        foreach (var id in context)
        {
            Advance(id);
        }
    }

    public void Advance(int id)
    {
        _steps.Step(1, [id], _state.Hidden, _state.Memory, _next.Hidden, _next.Memory);
        (_state, _next) = (_next, _state);
        _recent.Push(id);
    }

    /// <summary>Continues from a running state kept between calls (<see cref="StreamingState"/>): copies it in.</summary>
    public void Resume(RecurrentState state, RecentWords recent)
    {
        state.CopyTo(_state);
        recent.CopyTo(_recent);
    }

    /// <summary>Copies the running state out, to <see cref="Resume"/> from it in a later call.</summary>
    public void Keep(RecurrentState state, RecentWords recent)
    {
        _state.CopyTo(state);
        _recent.CopyTo(recent);
    }

    /// <summary>
    /// log P(<paramref name="id"/> | the running state), by the output layer's <see cref="OutputLayer{T}.Run"/> over one row:
    /// the bits <see cref="ScoreSentences"/> gives the same prediction inside a sentence.
    /// </summary>
    public float LogProbability(int id)
    {
        var targets = Scratch.Grow(ref _targets, 1);
        targets[0] = id;
        _recent.Ids.CopyTo(Scratch.Grow(ref _contexts, _contextWidth));
        Span<float> logProb = stackalloc float[1];
        _output.Run(_state.Hidden, _targets, _contexts, 1, logProb, null, null);
        return logProb[0];
    }

    /// <summary>The running state: h(t), and an LSTM's c(t).</summary>
    internal RecurrentState State => _state;

    /// <summary>P(w | the running state) for every vocabulary id w.</summary>
    public void Distribution(Span<float> probabilities) => _output.Distribution(_state.Hidden, _recent.Ids, probabilities);

    /// <summary>
    /// The <paramref name="k"/> most probable next words after the running state, most probable first (ties by lower id),
    /// and P(<c>&lt;/s&gt;</c>): the probabilities <see cref="Distribution"/> gives them, bit for bit.
    /// </summary>
    /// <remarks>
    /// A class layer computes the classes from the most probable down and stops at the first that cannot hold a word
    /// more probable than the k-th found so far: a word's probability is its class's times at most 1 (a softmax's
    /// values, within their rounding, which the bound allows for). Usually a few classes of the C.
    /// </remarks>
    public (int Id, float Probability)[] Next(int k, out float endOfSentence)
    {
        var (hidden, end) = (_state.Hidden, _model.Vocabulary.EndOfSentence);
        var context = _recent.Ids;
        var best = new TopK.Best(Math.Min(k, _model.Vocabulary.Count));
        var classes = _model.Classes;
        if (classes is null)
        {
            var probabilities = Scratch.Grow(ref _words, _model.Vocabulary.Count);
            _output.Distribution(hidden, context, probabilities);
            for (var id = 0; id < probabilities.Length; id++)
            {
                best.Offer(id, probabilities[id]);
            }

            endOfSentence = probabilities[end];
            return best.Drain();
        }

        var classProbabilities = _output.ClassDistribution(hidden, context);
        var c = classProbabilities.Length;
        var byProbability = Scratch.Grow(ref _classKeys, c);
        var order = Scratch.Grow(ref _classOrder, c);
        for (var cls = 0; cls < c; cls++)
        {
            (byProbability[cls], order[cls]) = (-classProbabilities[cls], cls);
        }

        byProbability.Sort(order);
        var endClass = classes.ClassOf(end);
        float? endProbability = null;
        foreach (var cls in order)
        {
            if (best.IsFull && classProbabilities[cls] * (1 + 1e-5) < best.Smallest)
            {
                break;
            }

            var first = classes.Start(cls);
            var words = Scratch.Grow(ref _words, classes.Size(cls));
            _output.ClassWords(hidden, context, cls, classProbabilities[cls], words);
            for (var j = 0; j < words.Length; j++)
            {
                best.Offer(first + j, words[j]);
            }

            endProbability = cls == endClass ? words[end - first] : endProbability;
        }

        if (endProbability is null)
        {
            var words = Scratch.Grow(ref _words, classes.Size(endClass));
            _output.ClassWords(hidden, context, endClass, classProbabilities[endClass], words);
            endProbability = words[end - classes.Start(endClass)];
        }

        endOfSentence = endProbability.Value;
        return best.Drain();
    }

    // Orders the sentences longest first and finds where each step's rows start; returns the rows and the steps.
    private (int Rows, int Steps) Arrange(int[][] sentences)
    {
        var count = sentences.Length;
        var (longest, rows) = (0, 0);
        var firstToken = Scratch.Grow(ref _firstToken, count);
        for (var i = 0; i < count; i++)
        {
            firstToken[i] = rows;
            rows += sentences[i].Length + 1;
            longest = Math.Max(longest, sentences[i].Length);
        }

        var byLength = Scratch.Grow(ref _byLength, count);
        for (var i = 0; i < count; i++)
        {
            byLength[i] = ((long)(longest - sentences[i].Length) << 32) | (uint)i;
        }

        byLength.Sort();
        var steps = count == 0 ? 0 : longest + 1;
        var stepStarts = Scratch.Grow(ref _stepStarts, steps + 1);
        stepStarts[0] = 0;
        for (int t = 0, running = count; t < steps; t++)
        {
            // Sentence s runs for its length + 1 steps.
            while (sentences[(int)byLength[running - 1]].Length < t)
            {
                running--;
            }

            stepStarts[t + 1] = stepStarts[t] + running;
        }

        return (rows, steps);
    }
}
