namespace RnnLm.Engine.IO;

/// <summary>A model file could not be read: it is truncated, corrupted, of another format or version, or describes an impossible model.</summary>
public sealed class ModelFormatException : Exception
{
    public ModelFormatException()
    {
    }

    public ModelFormatException(string message)
        : base(message)
    {
    }

    public ModelFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
