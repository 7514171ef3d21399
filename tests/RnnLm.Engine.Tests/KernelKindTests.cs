using RnnLm.Engine.Numerics;
using Xunit.Abstractions;

namespace RnnLm.Engine.Tests;

/// <summary>Which kernel kinds the kernel tests ran on this machine, and that the runtime switches CI sets take effect.</summary>
public class KernelKindTests(ITestOutputHelper output)
{
    [Fact]
    public void TheKindsThisMachineRunsAreListedAndIncludeScalarAndTheDefault()
    {
        var skipped = Enum.GetValues<KernelKind>().Where(kind => !KernelKinds.IsSupported(kind)).ToArray();
        output.WriteLine($"Kernel tests ran on: {string.Join(", ", KernelKinds.Supported)} (default {KernelKinds.Default}).");
        output.WriteLine($"Not run, this machine cannot execute them: {(skipped.Length == 0 ? "none" : string.Join(", ", skipped))}.");
        Assert.Contains(KernelKind.Scalar, KernelKinds.Supported);
        Assert.Contains(KernelKinds.Default, KernelKinds.Supported);
        Assert.Equal(Enum.GetValues<KernelKind>().Except(skipped), KernelKinds.Supported);
    }

    [Fact]
    public void TheRuntimeSwitchesCiSetsLeaveOnlyTheKindsTheyAllow()
    {
        // .ci/run runs the engine tests again with these set, to prove the paths of machines without AVX-512 or SIMD.
        if (Environment.GetEnvironmentVariable("DOTNET_EnableHWIntrinsic") == "0")
        {
            Assert.Equal([KernelKind.Scalar], KernelKinds.Supported);
        }

        // .NET 10 reads DOTNET_EnableAVX512 (it no longer reads the older per-subset DOTNET_EnableAVX512F).
        if (Environment.GetEnvironmentVariable("DOTNET_EnableAVX512") == "0")
        {
            Assert.DoesNotContain(KernelKind.Avx512, KernelKinds.Supported);
            Assert.NotEqual(KernelKind.Avx512, KernelKinds.Default);
        }
    }

    [Fact]
    public void AKindThisMachineCannotRunIsRefused()
    {
        var x = new float[16];
        foreach (var kind in Enum.GetValues<KernelKind>().Where(kind => !KernelKinds.IsSupported(kind)).Append((KernelKind)99))
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply(x, 4, false, x, 4, false, new float[16], 4, 4, 4, 4, false, 1, kind));
            Assert.Throws<ArgumentOutOfRangeException>(() => RowProducts.Dots<float>(x, 4, x, 4, 4, new float[16], kind));
            Assert.Throws<ArgumentOutOfRangeException>(() => Gates.GruGates<float>(new float[8], new float[4], new float[4], kind));
        }
    }
}
