using System.Numerics;
using RnnLm.Engine.Model;
using RnnLm.Engine.Numerics;

namespace RnnLm.Engine.Training;

/// <summary>
/// The step a block's gradient takes when it is applied after the whole block (<see cref="BpttNetwork{T}.Optimizer"/>):
/// every tensor's gradient is known first, so that its norm over the whole model can be clipped, and an adaptive rule
/// can keep a state per weight. The gradient is G = <see cref="Scale"/> · (the block's summed gradient), the gradient
/// per stream as the plain SGD step uses it (alpha / streams times the sum).
/// </summary>
internal sealed class Optimizer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>AdaGrad's ε: PyTorch's default, far below any accumulated squared gradient that moves a weight.</summary>
    public static readonly T Epsilon = T.CreateTruncating(1e-10);

    /// <param name="kind">The rule.</param>
    /// <param name="shape">The model's shape, for AdaGrad's accumulators.</param>
    public Optimizer(OptimizerKind kind, ModelShape shape)
    {
        Kind = kind;
        Accumulators = kind == OptimizerKind.Adagrad ? new Parameters<T>(shape) : null;
    }

    public OptimizerKind Kind { get; }

    /// <summary>AdaGrad's A, the summed squared gradient of every weight (zero at first); null for SGD.</summary>
    public Parameters<T>? Accumulators { get; }

    /// <summary>The learning rate, alpha.</summary>
    public T Rate { get; set; } = T.One;

    /// <summary>From the block's summed gradient to G: 1 / streams in training.</summary>
    public T Scale { get; set; } = T.One;

    /// <summary>
    /// L2: weights (not biases) shrink by this fraction with every step, w·(1 − Decay) − step, as the in-place SGD step
    /// of the recurrent part does (its output layer's shrinks after the step, (w − step)·(1 − Decay): Decay·step apart).
    /// </summary>
    public T Decay { get; set; } = T.Zero;

    /// <summary>The most ‖G‖ over the whole model may have; longer gradients are scaled down to it. Zero: no clipping.</summary>
    public double ClipNorm { get; set; }

    /// <summary>‖G‖ over the whole model at the last block, before clipping (computed only when clipping is on).</summary>
    public double LastNorm { get; internal set; }

    /// <summary>
    /// The factor G is multiplied by after clipping: <see cref="Scale"/> alone, or times ClipNorm / ‖G‖ when ‖G‖ is
    /// longer than ClipNorm, from the block's summed gradient's squared norm.
    /// </summary>
    public T ClippedScale(double squaredNorm)
    {
        if (ClipNorm <= 0)
        {
            return Scale;
        }

        var scale = double.CreateTruncating(Scale);
        LastNorm = Math.Sqrt(squaredNorm) * scale;
        return LastNorm > ClipNorm ? T.CreateTruncating(scale * (ClipNorm / LastNorm)) : Scale;
    }

    /// <summary>
    /// One step of a span of weights with its gradient (of the same place in the accumulators): G = scale·gradient; the
    /// gradient is cleared for the next block.
    /// </summary>
    public void Step(Span<T> weights, Span<T> gradient, Span<T> accumulators, T scale, bool decays)
    {
        var keep = decays ? T.One - Decay : T.One;
        if (Kind == OptimizerKind.Adagrad)
        {
            Updates.AdaGrad(weights, gradient, accumulators, Rate, scale, keep, Epsilon);
        }
        else
        {
            Updates.Sgd(weights, gradient, Rate, scale, keep);
        }
    }
}
