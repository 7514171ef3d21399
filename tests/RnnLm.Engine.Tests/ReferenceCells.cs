using RnnLm.Engine.Model;

namespace RnnLm.Engine.Tests;

/// <summary>
/// One step of each hidden layer, plainly, in double precision, written from the equations in docs/model.md: the
/// definition the trainer's gradients (<see cref="GradientCheckTests"/>) and the sessions' scores are checked against.
/// Gate k's pre-activation reads columns [k·Dh, (k + 1)·Dh) of I, H and b1.
/// </summary>
internal static class ReferenceCells
{
    /// <summary>h(t) and, for an LSTM, c(t).</summary>
    internal sealed record State(double[] Hidden, double[] Memory);

    /// <summary>The state before a sentence: h = 0, c = 0.</summary>
    public static State Start(ModelShape shape) => new(new double[shape.Hidden], new double[shape.Hidden]);

    /// <summary>One step from <paramref name="previous"/> with word <paramref name="input"/>; e(t) ⊙ <paramref name="inputMask"/> when a dropout mask is given.</summary>
    public static State Step(Parameters<double> p, State previous, int input, double[]? inputMask = null)
    {
        var dh = p.Shape.Hidden;
        var (h, c) = (new double[dh], new double[dh]);
        switch (p.Shape.Cell)
        {
            case CellKind.Gru:
                var reset = new double[dh];
                for (var j = 0; j < dh; j++)
                {
                    var r = Sigmoid(Pre(p, 0, j, input, inputMask, previous.Hidden));
                    reset[j] = r * previous.Hidden[j];
                }

                for (var j = 0; j < dh; j++)
                {
                    var z = Sigmoid(Pre(p, 1, j, input, inputMask, previous.Hidden));
                    var n = Math.Tanh(Pre(p, 2, j, input, inputMask, reset));
                    h[j] = (z * previous.Hidden[j]) + ((1 - z) * n);
                }

                break;
            case CellKind.Lstm:
                for (var j = 0; j < dh; j++)
                {
                    var i = Sigmoid(Pre(p, 0, j, input, inputMask, previous.Hidden));
                    var f = Sigmoid(Pre(p, 1, j, input, inputMask, previous.Hidden));
                    var g = Math.Tanh(Pre(p, 2, j, input, inputMask, previous.Hidden));
                    var o = Sigmoid(Pre(p, 3, j, input, inputMask, previous.Hidden));
                    c[j] = (f * previous.Memory[j]) + (i * g);
                    h[j] = o * Math.Tanh(c[j]);
                }

                break;
            default:
                for (var j = 0; j < dh; j++)
                {
                    h[j] = Sigmoid(Pre(p, 0, j, input, inputMask, previous.Hidden));
                }

                break;
        }

        return new State(h, c);
    }

    // b1 + e(t) I + recurrent H at column j of gate block k, with e(t) = L[input] ⊙ mask (e(t) itself for I = 1).
    private static double Pre(Parameters<double> p, int k, int j, int input, double[]? mask, double[] recurrent)
    {
        var (d, dh, width) = (p.Shape.Embedding, p.Shape.Hidden, p.Shape.Gates * p.Shape.Hidden);
        var column = (k * dh) + j;
        var pre = p.HiddenBias[column];
        for (var i = 0; i < dh; i++)
        {
            pre += recurrent[i] * p.Recurrent[(i * width) + column];
        }

        if (p.Shape.NoProjection)
        {
            // e(t) enters as it is: its column is this pre-activation's.
            pre += p.Embedding[(input * d) + column] * (mask?[column] ?? 1);
            return pre;
        }

        for (var i = 0; i < d; i++)
        {
            pre += p.Embedding[(input * d) + i] * (mask?[i] ?? 1) * p.Input[(i * width) + column];
        }

        return pre;
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
}
