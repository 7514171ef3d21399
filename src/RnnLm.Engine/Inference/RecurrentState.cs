using RnnLm.Engine.Model;

namespace RnnLm.Engine.Inference;

/// <summary>
/// Where a model stands after the words it has read: h(t), and for an LSTM its memory c(t). Small and copied whole, so
/// that a caller can keep one between calls and continue from it.
/// </summary>
internal sealed class RecurrentState
{
    public RecurrentState(ModelShape shape)
    {
        Hidden = new float[shape.Hidden];
        Memory = shape.Cell == CellKind.Lstm ? new float[shape.Hidden] : [];
    }

    /// <summary>h(t), [Dh].</summary>
    public float[] Hidden { get; }

    /// <summary>c(t), [Dh] for an LSTM; empty for the other cells.</summary>
    public float[] Memory { get; }

    /// <summary>Copies this state into <paramref name="destination"/>, a state of the same model.</summary>
    public void CopyTo(RecurrentState destination)
    {
        Hidden.CopyTo(destination.Hidden, 0);
        Memory.CopyTo(destination.Memory, 0);
    }
}
