namespace RnnLm.Engine.Training;

/// <summary>How the learning rate falls once validation stops improving by the minimum factor.</summary>
public enum ScheduleKind
{
    /// <summary>rnnlm's: after the first small improvement alpha halves every epoch.</summary>
    Rnnlm,

    /// <summary>Alpha halves only after each small improvement and otherwise holds (a reduce-on-plateau rule).</summary>
    Plateau,
}
