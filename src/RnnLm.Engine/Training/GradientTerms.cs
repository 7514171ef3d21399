namespace RnnLm.Engine.Training;

/// <summary>
/// The terms of the hidden layers' gradient (and of a tree output's gradient with respect to h), by name, so that a test can leave one out
/// (<see cref="BpttNetwork{T}.Dropped"/>) and see the gradient check fail: proof that each term is there and needed.
/// A term the cell does not have changes nothing.
/// </summary>
[Flags]
internal enum GradientTerms
{
    None = 0,

    /// <summary>dJ/dh(t−1) through the products with Hᵀ (the GRU's from its reset and update gates).</summary>
    Recurrent = 1 << 0,

    /// <summary>dJ/dL: the embeddings' rows.</summary>
    Embedding = 1 << 1,

    /// <summary>GRU: δr, the reset gate's pre-activation delta.</summary>
    ResetGate = 1 << 2,

    /// <summary>GRU: δz, the update gate's.</summary>
    UpdateGate = 1 << 3,

    /// <summary>GRU: δn, the candidate's.</summary>
    Candidate = 1 << 4,

    /// <summary>GRU: dJ/dh ⊙ z, the part of dJ/dh(t−1) that passes the update gate directly.</summary>
    UpdateCarry = 1 << 5,

    /// <summary>GRU: dJ/d(r ⊙ h(t−1)) ⊙ r, the part of dJ/dh(t−1) that passes through the candidate's reset input.</summary>
    ResetCarry = 1 << 6,

    /// <summary>LSTM: δi, the input gate's pre-activation delta.</summary>
    InputGate = 1 << 7,

    /// <summary>LSTM: δf, the forget gate's.</summary>
    ForgetGate = 1 << 8,

    /// <summary>LSTM: δg, the cell input's.</summary>
    CellInput = 1 << 9,

    /// <summary>LSTM: δo, the output gate's.</summary>
    OutputGate = 1 << 10,

    /// <summary>LSTM: dJ/dc(t) ⊙ f, the memory's gradient carried to c(t−1).</summary>
    MemoryCarry = 1 << 11,

    /// <summary>Tree output: dJ/dh(t) = Σ (σ(z_n) − [left at n]) u_n over the nodes of the target's path.</summary>
    TreeHidden = 1 << 12,
}
