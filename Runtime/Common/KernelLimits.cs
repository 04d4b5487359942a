// Compiled into both the Runtime and the generator (Generator/MicroNet.Aot.Generator.csproj links
// this file): the limits the generator plans with and the kernels rely on, in one place, so they
// cannot drift apart. Plain C# for netstandard2.0 and net8.0+; nothing else belongs here.
namespace MicroNet.Aot.Shared;

internal static class KernelLimits
{
    /// <summary>
    /// Largest intermediate plane (floats) of a fused stride-1 depthwise pair: Depthwise.Pair keeps
    /// it on the stack (in L1), and the generator fuses only pairs whose plane fits. Larger planes
    /// stay unfused (an earlier fused kernel measured 1.2-1.3x slower there).
    /// </summary>
    public const int PairPlaneFloats = 1024;

    /// <summary>Narrowest rows (floats, an even count) of a fused stride-2 pair's intermediate tensor.</summary>
    public const int PairStride2MinWidth = 8;
}
