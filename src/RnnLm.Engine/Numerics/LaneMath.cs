using System.Runtime.CompilerServices;

namespace RnnLm.Engine.Numerics;

/// <summary>Transcendental functions on <see cref="ILanes{TVector}"/>, shared by the gates and the softmax kernels.</summary>
internal static class LaneMath
{
    /// <summary>
    /// e^x for x ≤ 0: x = n·ln2 + r (Cody–Waite split of ln2), e^r by a degree-6 polynomial, 2ⁿ put straight into the
    /// exponent bits; about 2 ulp. Arguments are floored at −80, where e^x is 1.8e-35: results stay normal numbers
    /// (a denormal would slow every product it enters) and the activations built on it are then exact to float.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector ExpNonPositive<TLanes, TVector>(TVector x)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        x = TLanes.Max(x, TLanes.Create(-80f));
        var n = TLanes.Floor(TLanes.MultiplyAdd(x, TLanes.Create(1.44269504088896341f), TLanes.Create(0.5f)));
        var r = TLanes.MultiplyAdd(n, TLanes.Create(-0.693359375f), x);
        r = TLanes.MultiplyAdd(n, TLanes.Create(2.12194440e-4f), r);
        var p = TLanes.Create(1.9875691500e-4f);
        p = TLanes.MultiplyAdd(p, r, TLanes.Create(1.3981999507e-3f));
        p = TLanes.MultiplyAdd(p, r, TLanes.Create(8.3334519073e-3f));
        p = TLanes.MultiplyAdd(p, r, TLanes.Create(4.1665795894e-2f));
        p = TLanes.MultiplyAdd(p, r, TLanes.Create(1.6666665459e-1f));
        p = TLanes.MultiplyAdd(p, r, TLanes.Create(5.0000001201e-1f));
        var y = TLanes.Add(TLanes.MultiplyAdd(TLanes.Multiply(p, r), r, r), TLanes.Create(1f));
        return TLanes.ScaleByPowerOfTwo(y, n);
    }
}
