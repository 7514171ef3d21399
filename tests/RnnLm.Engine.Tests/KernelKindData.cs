using RnnLm.Engine.Numerics;

namespace RnnLm.Engine.Tests;

/// <summary>
/// Theory data over every kernel kind this machine can execute (<see cref="KernelKinds.Supported"/>), so each
/// kernel test runs once per kind and names the kind in its display name. A kind the machine cannot run has no
/// rows; <see cref="KernelKindTests"/> lists which kinds ran and which were left out.
/// </summary>
/// <remarks>Kinds travel as names: the enum is internal to the engine and xunit's test methods are public.</remarks>
public static class KernelKindData
{
    public static TheoryData<string> Kinds()
    {
        var data = new TheoryData<string>();
        foreach (var kind in KernelKinds.Supported)
        {
            data.Add(kind.ToString());
        }

        return data;
    }

    /// <summary>Every supported kind with every value of <paramref name="rows"/>.</summary>
    public static TheoryData<string, T1> With<T1>(IEnumerable<T1> rows)
    {
        var data = new TheoryData<string, T1>();
        foreach (var kind in KernelKinds.Supported)
        {
            foreach (var x in rows)
            {
                data.Add(kind.ToString(), x);
            }
        }

        return data;
    }

    /// <summary>Every supported kind with every row of <paramref name="rows"/>.</summary>
    public static TheoryData<string, T1, T2> With<T1, T2>(IEnumerable<(T1, T2)> rows)
    {
        var data = new TheoryData<string, T1, T2>();
        foreach (var kind in KernelKinds.Supported)
        {
            foreach (var (x, y) in rows)
            {
                data.Add(kind.ToString(), x, y);
            }
        }

        return data;
    }

    /// <summary>Every supported kind with every row of <paramref name="rows"/>.</summary>
    public static TheoryData<string, T1, T2, T3> With<T1, T2, T3>(IEnumerable<(T1, T2, T3)> rows)
    {
        var data = new TheoryData<string, T1, T2, T3>();
        foreach (var kind in KernelKinds.Supported)
        {
            foreach (var (x, y, z) in rows)
            {
                data.Add(kind.ToString(), x, y, z);
            }
        }

        return data;
    }

    internal static KernelKind Parse(string kind) => Enum.Parse<KernelKind>(kind);
}
