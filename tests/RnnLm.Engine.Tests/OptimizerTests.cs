using RnnLm.Engine.Model;
using RnnLm.Engine.Numerics;
using RnnLm.Engine.Training;

namespace RnnLm.Engine.Tests;

/// <summary>
/// The step after the whole block (<see cref="BpttNetwork{T}.Optimizer"/>) on a tiny model in double precision, against
/// the rule applied by hand to the block's gradient as the gradient check proves it: AdaGrad, clipping by the whole
/// model's norm, L2, and that every tensor the block touched takes its step (the direct connections' table too).
/// </summary>
public class OptimizerTests
{
    public static TheoryData<CellKind, OutputKind, int> EveryCellAndOutputWithAndWithoutDirectConnections()
    {
        var data = new TheoryData<CellKind, OutputKind, int>();
        foreach (var cell in Enum.GetValues<CellKind>())
        {
            foreach (var output in Enum.GetValues<OutputKind>())
            {
                data.Add(cell, output, 0);
                if (output != OutputKind.Tree)
                {
                    data.Add(cell, output, 3); // a tree output has no direct connections
                }
            }
        }

        return data;
    }

    private const int CheckedBlock = 2;
    private const int Streams = 2;
    private const int Bptt = 2;
    private const int Block = 3;
    private const double Rate = 0.3;
    private const double Scale = 0.5;

    [Theory]
    [MemberData(nameof(EveryCellAndOutputWithAndWithoutDirectConnections))]
    public void AdaGradStepsEveryWeightByTheRuleFromTheBlocksGradient(CellKind cell, OutputKind output, int directOrder)
    {
        var (parameters, classes) = GradientCheckTests.Model(cell, output, directOrder, seed: 7);
        var gradient = Gradient(parameters, classes);
        var optimizer = new Optimizer<double>(OptimizerKind.Adagrad, parameters.Shape) { Rate = Rate, Scale = Scale };
        var random = new Random(4);
        foreach (var (_, values) in optimizer.Accumulators!.Tensors())
        {
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = i % 3 == 0 ? 0 : random.NextDouble();
            }
        }

        var before = Copy(optimizer.Accumulators);
        var stepped = Stepped(parameters, classes, optimizer, out var left);
        foreach (var (name, w0, g, a0, w, a) in Zip(parameters, gradient, before, stepped, optimizer.Accumulators))
        {
            for (var i = 0; i < w0.Length; i++)
            {
                var step = Scale * g[i];
                var accumulated = a0[i] + (step * step);
                Assert.Equal(accumulated, a[i], 1e-15);
                Assert.True(Math.Abs(w[i] - (w0[i] - (Rate * step / (Math.Sqrt(accumulated) + 1e-10)))) <= 1e-14, $"{name}[{i}]: {w[i]:R}");
            }
        }

        Assert.All(left.Tensors(), t => Assert.All(t.Values, g => Assert.Equal(0.0, g)));
    }

    [Theory]
    [MemberData(nameof(EveryCellAndOutputWithAndWithoutDirectConnections))]
    public void ClippingByNormMeasuresTheWholeModelsGradientAndScalesTheStepExactly(CellKind cell, OutputKind output, int directOrder)
    {
        var (parameters, classes) = GradientCheckTests.Model(cell, output, directOrder, seed: 7);
        var gradient = Gradient(parameters, classes);
        var norm = Scale * Math.Sqrt(gradient.Tensors().Sum(t => t.Values.Sum(g => g * g)));
        foreach (var clip in new[] { norm / 4, norm * 2 })
        {
            var optimizer = new Optimizer<double>(OptimizerKind.Sgd, parameters.Shape) { Rate = Rate, Scale = Scale, ClipNorm = clip };
            var stepped = Stepped(parameters, classes, optimizer, out _);
            Assert.Equal(norm, optimizer.LastNorm, 1e-12 * norm);
            var factor = Math.Min(1, clip / norm);
            foreach (var (name, w0, g, _, w, _) in Zip(parameters, gradient, parameters, stepped, parameters))
            {
                for (var i = 0; i < w0.Length; i++)
                {
                    Assert.True(Math.Abs(w[i] - (w0[i] - (Rate * factor * Scale * g[i]))) <= 1e-14, $"{name}[{i}] with clip {clip / norm:F2}·‖G‖");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(EveryCellAndOutputWithAndWithoutDirectConnections))]
    public void SgdAfterTheBlockStepsWhatTheInPlaceStepSteps(CellKind cell, OutputKind output, int directOrder)
    {
        // The in-place step (the output layer's sink on the weights, the recurrent part stepped as its gradient is formed)
        // is rnnlm's and the default's. With L2 on, the step after the block must shrink exactly the same tensors and rows
        // (the embedding rows used, I, H, the targets' classes' rows of U or all of U, Uc; no bias), and move every one.
        // The in-place output layer shrinks after its step, (w − step)·keep, where the rest is w·keep − step: the two differ
        // by decay·step, a hundredth of what a missed step or shrink would leave. (The in-place direct connections decay at
        // every use of an entry, as rnnlm's do, where the step after the block shrinks each entry used once: with them, the
        // comparison is made without L2.)
        var (parameters, classes) = GradientCheckTests.Model(cell, output, directOrder, seed: 7);
        var decay = directOrder > 0 ? 0 : 0.01;
        var gradient = Gradient(parameters, classes);
        var inPlace = Copy(parameters);
        Run(inPlace, classes, threads: 1, null, new OutputSink<double>(inPlace, -Rate * Scale) { Keep = 1 - decay }, Parameters<double>.RecurrentGradients(inPlace.Shape), (Rate * Scale, decay));
        foreach (var threads in new[] { 1, 2 })
        {
            var optimizer = new Optimizer<double>(OptimizerKind.Sgd, parameters.Shape) { Rate = Rate, Scale = Scale, Decay = decay };
            var stepped = Stepped(parameters, classes, optimizer, out _, threads);
            foreach (var ((name, expected), (_, actual), (_, g)) in inPlace.Tensors().Zip(stepped.Tensors(), gradient.Tensors()))
            {
                for (var i = 0; i < expected.Length; i++)
                {
                    var conventions = decay * Rate * Scale * Math.Abs(g[i]) * 1.000001;
                    Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-14 + conventions, $"{name}[{i}] on {threads} threads: in place {expected[i]:R}, after the block {actual[i]:R}");
                }
            }
        }

        Assert.Contains(parameters.Embedding.Zip(inPlace.Embedding), p => p.First == p.Second); // rows no block used stay
    }

    [Fact]
    public void TwoThreadsTakeTheSameStepBitsAsOne()
    {
        var (parameters, classes) = GradientCheckTests.Model(CellKind.Lstm, OutputKind.Classes, directOrder: 3, seed: 7);
        Parameters<double> Take(int threads)
        {
            var optimizer = new Optimizer<double>(OptimizerKind.Adagrad, parameters.Shape) { Rate = Rate, Scale = Scale, Decay = 0.01, ClipNorm = 0.1 };
            return Stepped(parameters, classes, optimizer, out _, threads);
        }

        var one = Take(1);
        foreach (var ((name, a), (_, b)) in one.Tensors().Zip(Take(2).Tensors()))
        {
            Assert.True(a.AsSpan().SequenceEqual(b), name);
        }
    }

    // The checked block's summed gradient, as the gradient check proves it right.
    private static Parameters<double> Gradient(Parameters<double> parameters, ClassMap? classes)
    {
        var gradient = new Parameters<double>(parameters.Shape);
        Run(Copy(parameters), classes, threads: 1, null, new OutputSink<double>(gradient, 1), gradient, null);
        return gradient;
    }

    // The weights after the checked block's step by the optimiser; left: the gradient buffer afterwards.
    private static Parameters<double> Stepped(Parameters<double> parameters, ClassMap? classes, Optimizer<double> optimizer, out Parameters<double> left, int threads = 1)
    {
        var weights = Copy(parameters);
        left = new Parameters<double>(parameters.Shape);
        Run(weights, classes, threads, optimizer, new OutputSink<double>(left, 1), left, null);
        return weights;
    }

    // Blocks before the checked one forward only (the weights do not move), then the checked one with its gradient.
    private static void Run(Parameters<double> weights, ClassMap? classes, int threads, Optimizer<double>? optimizer, OutputSink<double> sink, Parameters<double> gradients, (double, double)? step)
    {
        var queue = new Queue<int[]>(GradientCheckTests.Sentences);
        using var team = new WorkTeam(threads);
        var network = new BpttNetwork<double>(weights, classes, Streams, Bptt, Block, team, 0, _ => queue.Count > 0 ? queue.Dequeue() : null,
                                              weights.Shape.Output == OutputKind.Tree ? GradientCheckTests.TestTree : null)
        {
            Optimizer = optimizer,
            Step = step,
        };
        for (var i = 0; i < CheckedBlock; i++)
        {
            Assert.True(network.RunBlock(null, null, out _, out _));
        }

        Assert.True(network.RunBlock(sink, gradients, out _, out _));
    }

    internal static Parameters<double> Copy(Parameters<double> parameters)
    {
        var copy = new Parameters<double>(parameters.Shape);
        parameters.CopyTo(copy);
        return copy;
    }

    private static IEnumerable<(string Name, double[] W0, double[] G, double[] A0, double[] W, double[] A)> Zip(
        Parameters<double> w0, Parameters<double> g, Parameters<double> a0, Parameters<double> w, Parameters<double> a) =>
        w0.Tensors().Zip(g.Tensors(), a0.Tensors()).Zip(w.Tensors(), a.Tensors())
            .Select(t => (t.First.First.Name, t.First.First.Values, t.First.Second.Values, t.First.Third.Values, t.Second.Values, t.Third.Values));
}
