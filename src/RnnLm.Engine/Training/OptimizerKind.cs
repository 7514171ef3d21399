namespace RnnLm.Engine.Training;

/// <summary>How a training step moves each weight with its gradient G (the block's, per stream).</summary>
public enum OptimizerKind
{
    /// <summary>Plain stochastic gradient descent, rnnlm's rule: w ← w − alpha·G.</summary>
    Sgd,

    /// <summary>AdaGrad (Duchi et al. 2011): A ← A + G², w ← w − alpha·G / (√A + ε), with A kept per weight.</summary>
    Adagrad,
}
