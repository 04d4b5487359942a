// The depthwise (and the stem's grouped) spatial convolutions of MicroNet's factorized k x k:
// the shared constants and helpers of the Depthwise partial class. Entry points, one file each:
// Columns (k x 1), Rows (1 x k), ColumnGroup (k x 1 with several inputs or outputs per group),
// Pair (a stride-1 k x 1 / 1 x k pair fused), PairStride2 (the downsampling pair fused). The flat
// tap loops they end in are in Depthwise.Taps.cs; Runtime/Reference/ has the plain definition.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Runtime.Intrinsics.Arm;

namespace MicroNet.Aot.Runtime;

/// <summary>
/// The factorized spatial convolutions of MicroNet, one input plane into one output plane, with
/// all taps accumulated in registers per output vector (no read-modify-write per tap):
/// <see cref="Column"/> for k x 1 kernels (stride along H), <c>Row</c> for 1 x k kernels
/// (stride along W). Out-of-range taps are the zero padding of PyTorch's Conv2d.
/// </summary>
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
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(ref float src, float* dst, nint n) => Elementwise.Copy(ref src, ref *dst, n);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Clamp(Vector256<float> v, bool relu6) => relu6 ? Simd.Relu6(v) : v;

    private static int Gcd(int a, int b) { while (b != 0) (a, b) = (b, a % b); return a; }
}
