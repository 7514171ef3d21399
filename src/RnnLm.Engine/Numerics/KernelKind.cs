using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace RnnLm.Engine.Numerics;

/// <summary>
/// The instruction set a float kernel of <see cref="Gemm"/> or <see cref="RowProducts"/> runs on. One is chosen
/// from the hardware for production (<see cref="KernelKinds.Default"/>); the kernels also take it as a parameter,
/// so that tests run every kind the machine can execute against the scalar references.
/// </summary>
internal enum KernelKind
{
    /// <summary>Plain float arithmetic: fused multiply-add where the hardware has it, else multiply then add.</summary>
    Scalar,

    /// <summary>4 lanes: the width <see cref="Vector{T}"/> has on Arm64, here testable on any x64 machine with FMA.</summary>
    Vector128,

    /// <summary>8 lanes (AVX2 and FMA): the width <see cref="Vector{T}"/> has on x64.</summary>
    Vector256,

    /// <summary><see cref="Vector{T}"/>, whatever width the runtime gives it: the default without AVX-512.</summary>
    VectorT,

    /// <summary>16 lanes with AVX-512F's masked loads and stores.</summary>
    Avx512,
}

/// <summary>Which kernel kinds this machine runs, and the one production uses.</summary>
internal static class KernelKinds
{
    // The vector kinds need hardware FMA: their scalar tails use MathF.FusedMultiplyAdd to reproduce a lane's
    // arithmetic exactly, which must not be a software routine.
    public static readonly bool HardwareFma = Fma.IsSupported || AdvSimd.IsSupported;

    /// <summary>
    /// The kind production uses: Zen 5 runs 512-bit FMAs at full width (about 2× the 256-bit rate, measured);
    /// <see cref="Vector{T}"/> covers AVX2 and Arm64; scalar without SIMD or FMA.
    /// </summary>
    public static readonly KernelKind Default =
        IsSupported(KernelKind.Avx512) ? KernelKind.Avx512
        : IsSupported(KernelKind.VectorT) ? KernelKind.VectorT
        : KernelKind.Scalar;

    /// <summary>Every kind this machine can execute, in the order of <see cref="KernelKind"/>.</summary>
    public static IReadOnlyList<KernelKind> Supported { get; } = Enum.GetValues<KernelKind>().Where(IsSupported).ToArray();

    public static bool IsSupported(KernelKind kind) => kind switch
    {
        KernelKind.Scalar => true,
        KernelKind.Vector128 => HardwareFma && Vector128.IsHardwareAccelerated,
        KernelKind.Vector256 => HardwareFma && Vector256.IsHardwareAccelerated,
        KernelKind.VectorT => HardwareFma && Vector.IsHardwareAccelerated && 2 * Vector<float>.Count <= Gemm.MaxNr,
        KernelKind.Avx512 => HardwareFma && Avx512F.IsSupported && Vector512.IsHardwareAccelerated,
        _ => false,
    };

    /// <exception cref="ArgumentOutOfRangeException">This machine cannot run <paramref name="kind"/>.</exception>
    public static void ThrowIfUnsupported(KernelKind kind)
    {
        if (!IsSupported(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "This machine cannot run that kernel kind.");
        }
    }

    /// <summary>
    /// Runs <paramref name="kernel"/> with the lanes of <paramref name="kind"/>: <see cref="Vector{T}"/>,
    /// <see cref="Vector256{T}"/>, <see cref="Vector128{T}"/>, or one float for the scalar kind. Where AVX-512 has
    /// no kernel of its own it takes <see cref="Vector{T}"/>'s.
    /// </summary>
    public static void RunOnLanes<TKernel>(KernelKind kind, TKernel kernel)
        where TKernel : struct, ILanesKernel
    {
        switch (kind)
        {
            case KernelKind.Avx512 or KernelKind.VectorT:
                kernel.Run<LanesT, Vector<float>>();
                break;
            case KernelKind.Vector256:
                kernel.Run<Lanes256, Vector256<float>>();
                break;
            case KernelKind.Vector128:
                kernel.Run<Lanes128, Vector128<float>>();
                break;
            default:
                kernel.Run<Lanes1, float>();
                break;
        }
    }

    /// <summary>
    /// <see cref="RunOnLanes"/> for element-wise kernels, where an element's bits do not depend on the vector width: AVX-512
    /// takes 16 lanes (<see cref="Lanes512"/>) instead of <see cref="Vector{T}"/>'s.
    /// </summary>
    public static void RunElementwise<TKernel>(KernelKind kind, TKernel kernel)
        where TKernel : struct, ILanesKernel
    {
        if (kind == KernelKind.Avx512)
        {
            kernel.Run<Lanes512, Vector512<float>>();
        }
        else
        {
            RunOnLanes(kind, kernel);
        }
    }

    /// <summary>The lanes of the vectors <paramref name="kind"/> computes with, as <see cref="RunOnLanes"/> picks them.</summary>
    public static int LaneCount(KernelKind kind) => kind switch
    {
        KernelKind.Avx512 or KernelKind.VectorT => Vector<float>.Count,
        KernelKind.Vector256 => Vector256<float>.Count,
        KernelKind.Vector128 => Vector128<float>.Count,
        _ => 1,
    };

    /// <summary>A lane computes fma(x, y, acc); scalar code must round the same way to give the same bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MultiplyAdd(float x, float y, float acc) => HardwareFma ? MathF.FusedMultiplyAdd(x, y, acc) : x * y + acc;
}
