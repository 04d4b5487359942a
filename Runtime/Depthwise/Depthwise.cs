// The depthwise (and the stem's grouped) spatial convolutions of MicroNet's factorized k x k:
// the shared constants and helpers of the Depthwise partial class. Entry points, one file each:
// Columns (k x 1), Rows (1 x k), ColumnGroup (k x 1 with several inputs or outputs per group),
// Pair (a stride-1 k x 1 / 1 x k pair fused), PairStride2 (the downsampling pair fused). The flat
// tap loops they end in are in Depthwise.Taps.cs; Runtime/Reference/ has the plain definition.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MicroNet.Aot.Runtime;

/// <summary>
/// The factorized spatial convolutions of MicroNet: <see cref="Columns"/> (depthwise k x 1, stride
/// along H), <see cref="Rows"/> (depthwise 1 x k, stride along W), <see cref="ColumnGroup"/> (k x 1
/// whose groups have several inputs: the stem), and the fused pairs <see cref="Pair"/> (stride 1)
/// and <see cref="PairStride2"/> (the downsampling pair). All taps of an output vector accumulate in
/// registers (no read-modify-write per tap); out-of-range taps are PyTorch's zero padding.
/// Each entry point picks its variant widest first (AVX-512, then AVX2, then the portable
/// Vector256 / Vector128 / scalar code) by the variants' <c>...Applies</c> predicates;
/// Runtime/Reference/Reference.Depthwise.cs is the plain definition the tests compare against.
/// </summary>
/// <remarks>Called by the generated model classes; not a user API (hidden from IntelliSense), and its signatures may change between versions.</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static unsafe partial class Depthwise
{
    /// <summary>Largest plane <see cref="RowsInPlace"/> takes (its mask table, k x n words, is on the stack and should stay in L1).</summary>
    private const int InPlacePlaneFloats = 1024;

    /// <summary>Largest plane <see cref="ColumnStride1"/> copies between zero rows (the copy stays in L1).</summary>
    private const int StagedPlaneFloats = 4096;

    /// <summary>Zero padding around a staged block: reads up to this many floats before or after it stay in the buffer.</summary>
    private const int Guard = 8;

    /// <summary>Floats of input (rows of the output) one block of a <c>Row</c> call covers: small enough for L1, large enough to amortize the tails.</summary>
    private const int BlockFloats = 1024;

    /// <summary>dst[i] = src[i] for i in [0, n) into a stack buffer (<see cref="Elementwise.Copy"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Copy(ref float src, float* dst, nint n) => Elementwise.Copy(ref src, ref *dst, n);

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector256<float> Clamp(Vector256<float> v, bool relu6) => relu6 ? Simd.Relu6(v) : v;

    /// <summary>A conv's tap count as a type, so each instantiation compiles only its own taps.</summary>
    private interface ITapCount { static abstract int K { get; } }
    private struct ThreeTaps : ITapCount { public static int K => 3; }
    private struct FiveTaps : ITapCount { public static int K => 5; }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Gcd(int a, int b) { while (b != 0) (a, b) = (b, a % b); return a; }
}
