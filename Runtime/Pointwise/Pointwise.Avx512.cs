// AVX-512 variant of Pointwise.GroupConv: blocks of 12 / 10 / 8 outputs x one 512-bit vector.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MicroNet.Aot.Runtime;

public static unsafe partial class Pointwise
{
    /// <summary>
    /// Whether <see cref="GroupConv"/> takes <c>Blocks16</c>: 512-bit vectors accelerated (AVX-512,
    /// not on the parts that slow their clock for it), a multiple of 12, 10 or 8 outputs per
    /// group (all of M3's groups from the 14x14 stage on, and its 28x28 expansion) and a plane of
    /// at least one vector.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Blocks16Applies(int outputs, nint n) =>
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported && n >= 16 && (outputs % 12 == 0 || outputs % 10 == 0 || outputs % 8 == 0);

    /// <summary>
    /// All <paramref name="outputs"/> in blocks of 12, 10 or 8 outputs x one 512-bit vector (16
    /// positions), tiles outermost (a tile's inputs stay in L1 for every block), the last tile
    /// overlapping the one before it. Per input: one vector load and one broadcast per output for
    /// as many FMAs, so the FMAs rather than the broadcasts bound it (the 256-bit eight-output
    /// block spends 9 loads on 8 FMAs). Measured against the AVX2 blocks (standalone, M3's
    /// shapes): 0.77-0.86x on 7x7 planes, 0.83-0.90x on 14x14, 0.97x on 28x28. The same sums as
    /// <see cref="Block4"/> (bias, then the inputs in order).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Blocks16(ref float input, ReadOnlySpan<int> planes, ref float output, float* weights, float* bias, int outputs, nint n, bool relu6)
    {
        if (outputs % 12 == 0) Blocks16<TwelveRows>(ref input, planes, ref output, weights, bias, outputs, n, relu6);
        else if (outputs % 10 == 0) Blocks16<TenRows>(ref input, planes, ref output, weights, bias, outputs, n, relu6);
        else Blocks16<EightRows>(ref input, planes, ref output, weights, bias, outputs, n, relu6);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Blocks16<TRows>(ref float input, ReadOnlySpan<int> planes, ref float output, float* w, float* bias, int outputs, nint n, bool relu6)
        where TRows : IBlockRows
    {
        int rows = TRows.Rows;
        nint k = planes.Length, k2 = 2 * k, k3 = 3 * k;
        ref int plane = ref MemoryMarshal.GetReference(planes);
        for (nint p = 0; ; p += 16)
        {
            if (p > n - 16) p = n - 16;
            ref float at = ref Unsafe.Add(ref input, p);
            for (int o = 0; o < outputs; o += rows)
            {
                float* b = bias + o;
                var a0 = Vector512.Create(b[0]); var a1 = Vector512.Create(b[1]); var a2 = Vector512.Create(b[2]); var a3 = Vector512.Create(b[3]);
                var a4 = Vector512.Create(b[4]); var a5 = Vector512.Create(b[5]); var a6 = Vector512.Create(b[6]); var a7 = Vector512.Create(b[7]);
                var a8 = rows > 8 ? Vector512.Create(b[8]) : default; var a9 = rows > 8 ? Vector512.Create(b[9]) : default;
                var a10 = rows > 10 ? Vector512.Create(b[10]) : default; var a11 = rows > 10 ? Vector512.Create(b[11]) : default;
                // weight rows 0-3, 4-7 and 8-11 through three pointers advanced one input per step plus one- to three-row strides
                float* row0 = w + o * k, row4 = row0 + 4 * k, row8 = row0 + 8 * k;
                for (nint i = 0; i < k; i++, row0++, row4++, row8++)
                {
                    var x = Vector512.LoadUnsafe(ref Unsafe.Add(ref at, Unsafe.Add(ref plane, i) * n));
                    a0 = Avx512F.FusedMultiplyAdd(x, Vector512.Create(row0[0]), a0);
                    a1 = Avx512F.FusedMultiplyAdd(x, Vector512.Create(row0[k]), a1);
                    a2 = Avx512F.FusedMultiplyAdd(x, Vector512.Create(row0[k2]), a2);
                    a3 = Avx512F.FusedMultiplyAdd(x, Vector512.Create(row0[k3]), a3);
                    a4 = Avx512F.FusedMultiplyAdd(x, Vector512.Create(row4[0]), a4);
                    a5 = Avx512F.FusedMultiplyAdd(x, Vector512.Create(row4[k]), a5);
                    a6 = Avx512F.FusedMultiplyAdd(x, Vector512.Create(row4[k2]), a6);
                    a7 = Avx512F.FusedMultiplyAdd(x, Vector512.Create(row4[k3]), a7);
                    if (rows > 8)
                    {
                        a8 = Avx512F.FusedMultiplyAdd(x, Vector512.Create(row8[0]), a8);
                        a9 = Avx512F.FusedMultiplyAdd(x, Vector512.Create(row8[k]), a9);
                    }
                    if (rows > 10)
                    {
                        a10 = Avx512F.FusedMultiplyAdd(x, Vector512.Create(row8[k2]), a10);
                        a11 = Avx512F.FusedMultiplyAdd(x, Vector512.Create(row8[k3]), a11);
                    }
                }
                ref float out0 = ref Unsafe.Add(ref output, o * n + p);
                Clamp(a0, relu6).StoreUnsafe(ref out0); Clamp(a1, relu6).StoreUnsafe(ref out0, (nuint)n);
                Clamp(a2, relu6).StoreUnsafe(ref out0, (nuint)(2 * n)); Clamp(a3, relu6).StoreUnsafe(ref out0, (nuint)(3 * n));
                Clamp(a4, relu6).StoreUnsafe(ref out0, (nuint)(4 * n)); Clamp(a5, relu6).StoreUnsafe(ref out0, (nuint)(5 * n));
                Clamp(a6, relu6).StoreUnsafe(ref out0, (nuint)(6 * n)); Clamp(a7, relu6).StoreUnsafe(ref out0, (nuint)(7 * n));
                if (rows > 8) { Clamp(a8, relu6).StoreUnsafe(ref out0, (nuint)(8 * n)); Clamp(a9, relu6).StoreUnsafe(ref out0, (nuint)(9 * n)); }
                if (rows > 10) { Clamp(a10, relu6).StoreUnsafe(ref out0, (nuint)(10 * n)); Clamp(a11, relu6).StoreUnsafe(ref out0, (nuint)(11 * n)); }
            }
            if (p == n - 16) return;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector512<float> Clamp(Vector512<float> v, bool relu6) => relu6 ? Simd.Relu6(v) : v;

    /// <summary>A block's output count as a type: each instantiation compiles only its own rows (measured as fast as written-out twins).</summary>
    private interface IBlockRows { static abstract int Rows { get; } }
    private struct ThreeRows : IBlockRows { public static int Rows => 3; }
    private struct FourRows : IBlockRows { public static int Rows => 4; }
    private struct SixRows : IBlockRows { public static int Rows => 6; }
    private struct EightRows : IBlockRows { public static int Rows => 8; }
    private struct TenRows : IBlockRows { public static int Rows => 10; }
    private struct TwelveRows : IBlockRows { public static int Rows => 12; }
}
