// The Vector256 / Vector128 / scalar blocks of Pointwise.GroupConv: 4 x 3 tiles, 6 x 2 and 5 x 2
// blocks, blocks of 8 and 4 outputs.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace MicroNet.Aot.Runtime;

public static unsafe partial class Pointwise
{
    /// <summary>
    /// Outputs 0..3 at positions p..p+23 (the tile-outer walk of <see cref="GroupConv"/>): 4 outputs
    /// x 3 vectors = 12 accumulators, every input vector loaded once for four FMAs (7 loads per
    /// 12 FMAs); the same sums as <see cref="Block4"/>'s 4 x 3 loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x3(ref float input, ReadOnlySpan<int> planes, ref float output, float* w, float* bias, nint n, nint p, bool relu6)
    {
        const int o1 = 1, o2 = 2, o3 = 3;
        nint k = planes.Length;
        // the weight rows and the plane list as pointers / refs with native-int indices: no
        // per-iteration index arithmetic left for the compiler to hoist (NativeAOT does not)
        float* row0 = w, row1 = w + o1 * k, row2 = w + o2 * k, row3 = w + o3 * k;
        ref int plane = ref MemoryMarshal.GetReference(planes);
        var a00 = Vector256.Create(bias[0]); var a01 = a00; var a02 = a00;
        var a10 = Vector256.Create(bias[o1]); var a11 = a10; var a12 = a10;
        var a20 = Vector256.Create(bias[o2]); var a21 = a20; var a22 = a20;
        var a30 = Vector256.Create(bias[o3]); var a31 = a30; var a32 = a30;
        ref float at = ref Unsafe.Add(ref input, p);
        for (nint i = 0; i < k; i++)
        {
            ref float src = ref Unsafe.Add(ref at, Unsafe.Add(ref plane, i) * n);
            var x0 = Vector256.LoadUnsafe(ref src);
            var x1 = Vector256.LoadUnsafe(ref src, 8);
            var x2 = Vector256.LoadUnsafe(ref src, 16);
            var wv = Vector256.Create(row0[i]);
            a00 = Simd.Fma(x0, wv, a00); a01 = Simd.Fma(x1, wv, a01); a02 = Simd.Fma(x2, wv, a02);
            wv = Vector256.Create(row1[i]);
            a10 = Simd.Fma(x0, wv, a10); a11 = Simd.Fma(x1, wv, a11); a12 = Simd.Fma(x2, wv, a12);
            wv = Vector256.Create(row2[i]);
            a20 = Simd.Fma(x0, wv, a20); a21 = Simd.Fma(x1, wv, a21); a22 = Simd.Fma(x2, wv, a22);
            wv = Vector256.Create(row3[i]);
            a30 = Simd.Fma(x0, wv, a30); a31 = Simd.Fma(x1, wv, a31); a32 = Simd.Fma(x2, wv, a32);
        }
        ref float out0 = ref Unsafe.Add(ref output, p);
        ref float out1 = ref Unsafe.Add(ref out0, o1 * n);
        ref float out2 = ref Unsafe.Add(ref out0, o2 * n);
        ref float out3 = ref Unsafe.Add(ref out0, o3 * n);
        Clamp(a00, relu6).StoreUnsafe(ref out0); Clamp(a01, relu6).StoreUnsafe(ref out0, 8); Clamp(a02, relu6).StoreUnsafe(ref out0, 16);
        Clamp(a10, relu6).StoreUnsafe(ref out1); Clamp(a11, relu6).StoreUnsafe(ref out1, 8); Clamp(a12, relu6).StoreUnsafe(ref out1, 16);
        Clamp(a20, relu6).StoreUnsafe(ref out2); Clamp(a21, relu6).StoreUnsafe(ref out2, 8); Clamp(a22, relu6).StoreUnsafe(ref out2, 16);
        Clamp(a30, relu6).StoreUnsafe(ref out3); Clamp(a31, relu6).StoreUnsafe(ref out3, 8); Clamp(a32, relu6).StoreUnsafe(ref out3, 16);
    }

    /// <summary>
    /// All <paramref name="outputs"/> (a multiple of six) in blocks of six outputs x 2 vectors = 12
    /// accumulators over 16-position tiles, tiles outermost (a tile's inputs stay in L1 for every
    /// block); the last tile overlaps the one before it. Per input: two vector loads and six
    /// broadcasts for twelve FMAs. Weight rows through two row pointers (rows 0 and 3) advanced one
    /// input per step plus one- and two-row strides, as in <see cref="Block8"/>. The same sums as
    /// <see cref="Block4"/> (bias, then inputs in order).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Blocks6x2(ref float input, ReadOnlySpan<int> planes, ref float output, float* w, float* bias, int outputs, nint n, bool relu6)
    {
        nint k = planes.Length, k2 = 2 * k;
        ref int plane = ref MemoryMarshal.GetReference(planes);
        for (nint p = 0; ; p += 16)
        {
            if (p > n - 16) p = n - 16;
            ref float at = ref Unsafe.Add(ref input, p);
            for (int o = 0; o < outputs; o += 6)
            {
                float* b = bias + o;
                var a00 = Vector256.Create(b[0]); var a01 = a00;
                var a10 = Vector256.Create(b[1]); var a11 = a10;
                var a20 = Vector256.Create(b[2]); var a21 = a20;
                var a30 = Vector256.Create(b[3]); var a31 = a30;
                var a40 = Vector256.Create(b[4]); var a41 = a40;
                var a50 = Vector256.Create(b[5]); var a51 = a50;
                float* row0 = w + o * k, row3 = row0 + 3 * k; // advanced by one input per step
                for (nint i = 0; i < k; i++, row0++, row3++)
                {
                    ref float src = ref Unsafe.Add(ref at, Unsafe.Add(ref plane, i) * n);
                    var x0 = Vector256.LoadUnsafe(ref src);
                    var x1 = Vector256.LoadUnsafe(ref src, 8);
                    var wv = Vector256.Create(row0[0]);
                    a00 = Simd.Fma(x0, wv, a00); a01 = Simd.Fma(x1, wv, a01);
                    wv = Vector256.Create(row0[k]);
                    a10 = Simd.Fma(x0, wv, a10); a11 = Simd.Fma(x1, wv, a11);
                    wv = Vector256.Create(row0[k2]);
                    a20 = Simd.Fma(x0, wv, a20); a21 = Simd.Fma(x1, wv, a21);
                    wv = Vector256.Create(row3[0]);
                    a30 = Simd.Fma(x0, wv, a30); a31 = Simd.Fma(x1, wv, a31);
                    wv = Vector256.Create(row3[k]);
                    a40 = Simd.Fma(x0, wv, a40); a41 = Simd.Fma(x1, wv, a41);
                    wv = Vector256.Create(row3[k2]);
                    a50 = Simd.Fma(x0, wv, a50); a51 = Simd.Fma(x1, wv, a51);
                }
                ref float out0 = ref Unsafe.Add(ref output, o * n + p);
                Clamp(a00, relu6).StoreUnsafe(ref out0); Clamp(a01, relu6).StoreUnsafe(ref out0, 8);
                ref float out1 = ref Unsafe.Add(ref out0, n);
                Clamp(a10, relu6).StoreUnsafe(ref out1); Clamp(a11, relu6).StoreUnsafe(ref out1, 8);
                ref float out2 = ref Unsafe.Add(ref out1, n);
                Clamp(a20, relu6).StoreUnsafe(ref out2); Clamp(a21, relu6).StoreUnsafe(ref out2, 8);
                ref float out3 = ref Unsafe.Add(ref out2, n);
                Clamp(a30, relu6).StoreUnsafe(ref out3); Clamp(a31, relu6).StoreUnsafe(ref out3, 8);
                ref float out4 = ref Unsafe.Add(ref out3, n);
                Clamp(a40, relu6).StoreUnsafe(ref out4); Clamp(a41, relu6).StoreUnsafe(ref out4, 8);
                ref float out5 = ref Unsafe.Add(ref out4, n);
                Clamp(a50, relu6).StoreUnsafe(ref out5); Clamp(a51, relu6).StoreUnsafe(ref out5, 8);
            }
            if (p == n - 16) return;
        }
    }

    /// <summary>
    /// <see cref="Blocks6x2"/> with blocks of five outputs (ten accumulators): <paramref name="outputs"/>
    /// a multiple of five. A twin on purpose: one generic method over an operator struct for the
    /// block height (the sixth row's code compiled out of the five-row instantiation) measured
    /// 1.09x slower on M3's six-output layers (features.2/3 layers.4, A/B twice).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Blocks5x2(ref float input, ReadOnlySpan<int> planes, ref float output, float* w, float* bias, int outputs, nint n, bool relu6)
    {
        nint k = planes.Length, k2 = 2 * k;
        ref int plane = ref MemoryMarshal.GetReference(planes);
        for (nint p = 0; ; p += 16)
        {
            if (p > n - 16) p = n - 16;
            ref float at = ref Unsafe.Add(ref input, p);
            for (int o = 0; o < outputs; o += 5)
            {
                float* b = bias + o;
                var a00 = Vector256.Create(b[0]); var a01 = a00;
                var a10 = Vector256.Create(b[1]); var a11 = a10;
                var a20 = Vector256.Create(b[2]); var a21 = a20;
                var a30 = Vector256.Create(b[3]); var a31 = a30;
                var a40 = Vector256.Create(b[4]); var a41 = a40;
                float* row0 = w + o * k, row3 = row0 + 3 * k; // advanced by one input per step
                for (nint i = 0; i < k; i++, row0++, row3++)
                {
                    ref float src = ref Unsafe.Add(ref at, Unsafe.Add(ref plane, i) * n);
                    var x0 = Vector256.LoadUnsafe(ref src);
                    var x1 = Vector256.LoadUnsafe(ref src, 8);
                    var wv = Vector256.Create(row0[0]);
                    a00 = Simd.Fma(x0, wv, a00); a01 = Simd.Fma(x1, wv, a01);
                    wv = Vector256.Create(row0[k]);
                    a10 = Simd.Fma(x0, wv, a10); a11 = Simd.Fma(x1, wv, a11);
                    wv = Vector256.Create(row0[k2]);
                    a20 = Simd.Fma(x0, wv, a20); a21 = Simd.Fma(x1, wv, a21);
                    wv = Vector256.Create(row3[0]);
                    a30 = Simd.Fma(x0, wv, a30); a31 = Simd.Fma(x1, wv, a31);
                    wv = Vector256.Create(row3[k]);
                    a40 = Simd.Fma(x0, wv, a40); a41 = Simd.Fma(x1, wv, a41);
                }
                ref float out0 = ref Unsafe.Add(ref output, o * n + p);
                Clamp(a00, relu6).StoreUnsafe(ref out0); Clamp(a01, relu6).StoreUnsafe(ref out0, 8);
                ref float out1 = ref Unsafe.Add(ref out0, n);
                Clamp(a10, relu6).StoreUnsafe(ref out1); Clamp(a11, relu6).StoreUnsafe(ref out1, 8);
                ref float out2 = ref Unsafe.Add(ref out1, n);
                Clamp(a20, relu6).StoreUnsafe(ref out2); Clamp(a21, relu6).StoreUnsafe(ref out2, 8);
                ref float out3 = ref Unsafe.Add(ref out2, n);
                Clamp(a30, relu6).StoreUnsafe(ref out3); Clamp(a31, relu6).StoreUnsafe(ref out3, 8);
                ref float out4 = ref Unsafe.Add(ref out3, n);
                Clamp(a40, relu6).StoreUnsafe(ref out4); Clamp(a41, relu6).StoreUnsafe(ref out4, 8);
            }
            if (p == n - 16) return;
        }
    }

    /// <summary>
    /// Outputs 0..7 over a plane of 8-63 positions: tiles of one vector, eight accumulators (one
    /// per output) sharing each input load; the last tile overlaps the one before it. Weight rows
    /// j = 0..7 are read through three row pointers (rows 0, 3 and 6) plus one and two row strides,
    /// so each broadcast is one load with a register index and no per-input address arithmetic.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block8(ref float input, ReadOnlySpan<int> planes, ref float output, float* w, float* bias, nint n, bool relu6)
    {
        nint k = planes.Length, k2 = 2 * k;
        var b0 = Vector256.Create(bias[0]); var b1 = Vector256.Create(bias[1]); var b2 = Vector256.Create(bias[2]); var b3 = Vector256.Create(bias[3]);
        var b4 = Vector256.Create(bias[4]); var b5 = Vector256.Create(bias[5]); var b6 = Vector256.Create(bias[6]); var b7 = Vector256.Create(bias[7]);
        ref int plane = ref MemoryMarshal.GetReference(planes);
        for (nint p = 0; ; p += 8)
        {
            if (p > n - 8) p = n - 8;
            var a0 = b0; var a1 = b1; var a2 = b2; var a3 = b3; var a4 = b4; var a5 = b5; var a6 = b6; var a7 = b7;
            float* row0 = w, row3 = w + 3 * k, row6 = w + 6 * k; // advanced by one input per step
            for (nint i = 0; i < k; i++, row0++, row3++, row6++)
            {
                var x = Vector256.LoadUnsafe(ref Unsafe.Add(ref input, Unsafe.Add(ref plane, i) * n + p));
                a0 = Simd.Fma(x, Vector256.Create(row0[0]), a0); a1 = Simd.Fma(x, Vector256.Create(row0[k]), a1);
                a2 = Simd.Fma(x, Vector256.Create(row0[k2]), a2); a3 = Simd.Fma(x, Vector256.Create(row3[0]), a3);
                a4 = Simd.Fma(x, Vector256.Create(row3[k]), a4); a5 = Simd.Fma(x, Vector256.Create(row3[k2]), a5);
                a6 = Simd.Fma(x, Vector256.Create(row6[0]), a6); a7 = Simd.Fma(x, Vector256.Create(row6[k]), a7);
            }
            ref float at = ref Unsafe.Add(ref output, p);
            Clamp(a0, relu6).StoreUnsafe(ref at); Clamp(a1, relu6).StoreUnsafe(ref at, (nuint)n);
            Clamp(a2, relu6).StoreUnsafe(ref at, (nuint)(2 * n)); Clamp(a3, relu6).StoreUnsafe(ref at, (nuint)(3 * n));
            Clamp(a4, relu6).StoreUnsafe(ref at, (nuint)(4 * n)); Clamp(a5, relu6).StoreUnsafe(ref at, (nuint)(5 * n));
            Clamp(a6, relu6).StoreUnsafe(ref at, (nuint)(6 * n)); Clamp(a7, relu6).StoreUnsafe(ref at, (nuint)(7 * n));
            if (p == n - 8) return;
        }
    }

    /// <summary>Outputs 0..3 (with <paramref name="count"/> &lt; 4: outputs past count - 1 are output count - 1 again).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block4(ref float input, ReadOnlySpan<int> planes, ref float output, float* w, float* bias, nint n, bool relu6, int count = 4)
    {
        nint k = planes.Length;
        nint o1 = Math.Min(1, count - 1), o2 = Math.Min(2, count - 1), o3 = Math.Min(3, count - 1);
        // the four outputs' weight rows and the plane list as pointers / refs with native-int
        // indices: no per-iteration index arithmetic left for the compiler to hoist (NativeAOT does not)
        float* row0 = w, row1 = w + o1 * k, row2 = w + o2 * k, row3 = w + o3 * k;
        float b0 = bias[0], b1 = bias[o1], b2 = bias[o2], b3 = bias[o3];
        ref int plane = ref MemoryMarshal.GetReference(planes);
        nint p = 0;
        ref float out0 = ref output;
        ref float out1 = ref Unsafe.Add(ref output, o1 * n);
        ref float out2 = ref Unsafe.Add(ref output, o2 * n);
        ref float out3 = ref Unsafe.Add(ref output, o3 * n);
        if (Vector256.IsHardwareAccelerated && n >= 64)
        {
            // 4 outputs x 3 vectors = 12 accumulators, 24 positions per tile (large planes, where
            // the overlapping last tile wastes little). Tile4x3's loop written out: a call per tile
            // measured 1.2x slower under NativeAOT on layers with few inputs per output (M3
            // features.4 layers.0: 4 inputs, 28x28)
            for (; p < n; p += 24)
            {
                if (p > n - 24) p = n - 24;
                var a00 = Vector256.Create(b0); var a01 = a00; var a02 = a00;
                var a10 = Vector256.Create(b1); var a11 = a10; var a12 = a10;
                var a20 = Vector256.Create(b2); var a21 = a20; var a22 = a20;
                var a30 = Vector256.Create(b3); var a31 = a30; var a32 = a30;
                for (nint i = 0; i < k; i++)
                {
                    ref float src = ref Unsafe.Add(ref input, Unsafe.Add(ref plane, i) * n + p);
                    var x0 = Vector256.LoadUnsafe(ref src);
                    var x1 = Vector256.LoadUnsafe(ref src, 8);
                    var x2 = Vector256.LoadUnsafe(ref src, 16);
                    var wv = Vector256.Create(row0[i]);
                    a00 = Simd.Fma(x0, wv, a00); a01 = Simd.Fma(x1, wv, a01); a02 = Simd.Fma(x2, wv, a02);
                    wv = Vector256.Create(row1[i]);
                    a10 = Simd.Fma(x0, wv, a10); a11 = Simd.Fma(x1, wv, a11); a12 = Simd.Fma(x2, wv, a12);
                    wv = Vector256.Create(row2[i]);
                    a20 = Simd.Fma(x0, wv, a20); a21 = Simd.Fma(x1, wv, a21); a22 = Simd.Fma(x2, wv, a22);
                    wv = Vector256.Create(row3[i]);
                    a30 = Simd.Fma(x0, wv, a30); a31 = Simd.Fma(x1, wv, a31); a32 = Simd.Fma(x2, wv, a32);
                }
                Clamp(a00, relu6).StoreUnsafe(ref out0, (nuint)p); Clamp(a01, relu6).StoreUnsafe(ref out0, (nuint)(p + 8)); Clamp(a02, relu6).StoreUnsafe(ref out0, (nuint)(p + 16));
                Clamp(a10, relu6).StoreUnsafe(ref out1, (nuint)p); Clamp(a11, relu6).StoreUnsafe(ref out1, (nuint)(p + 8)); Clamp(a12, relu6).StoreUnsafe(ref out1, (nuint)(p + 16));
                Clamp(a20, relu6).StoreUnsafe(ref out2, (nuint)p); Clamp(a21, relu6).StoreUnsafe(ref out2, (nuint)(p + 8)); Clamp(a22, relu6).StoreUnsafe(ref out2, (nuint)(p + 16));
                Clamp(a30, relu6).StoreUnsafe(ref out3, (nuint)p); Clamp(a31, relu6).StoreUnsafe(ref out3, (nuint)(p + 8)); Clamp(a32, relu6).StoreUnsafe(ref out3, (nuint)(p + 16));
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            // 4 outputs x 2 vectors = 8 accumulators, 16 positions per tile; the last tile overlaps
            // the one before it (recomputing a few positions exactly) instead of a narrower tail
            for (; p < n && n >= 16; p += 16)
            {
                if (p > n - 16) p = n - 16;
                var a00 = Vector256.Create(b0); var a01 = a00;
                var a10 = Vector256.Create(b1); var a11 = a10;
                var a20 = Vector256.Create(b2); var a21 = a20;
                var a30 = Vector256.Create(b3); var a31 = a30;
                for (nint i = 0; i < k; i++)
                {
                    ref float src = ref Unsafe.Add(ref input, Unsafe.Add(ref plane, i) * n + p);
                    var x0 = Vector256.LoadUnsafe(ref src);
                    var x1 = Vector256.LoadUnsafe(ref src, 8);
                    var w0 = Vector256.Create(row0[i]); var w1 = Vector256.Create(row1[i]);
                    var w2 = Vector256.Create(row2[i]); var w3 = Vector256.Create(row3[i]);
                    a00 = Simd.Fma(x0, w0, a00); a01 = Simd.Fma(x1, w0, a01);
                    a10 = Simd.Fma(x0, w1, a10); a11 = Simd.Fma(x1, w1, a11);
                    a20 = Simd.Fma(x0, w2, a20); a21 = Simd.Fma(x1, w2, a21);
                    a30 = Simd.Fma(x0, w3, a30); a31 = Simd.Fma(x1, w3, a31);
                }
                Clamp(a00, relu6).StoreUnsafe(ref out0, (nuint)p); Clamp(a01, relu6).StoreUnsafe(ref out0, (nuint)(p + 8));
                Clamp(a10, relu6).StoreUnsafe(ref out1, (nuint)p); Clamp(a11, relu6).StoreUnsafe(ref out1, (nuint)(p + 8));
                Clamp(a20, relu6).StoreUnsafe(ref out2, (nuint)p); Clamp(a21, relu6).StoreUnsafe(ref out2, (nuint)(p + 8));
                Clamp(a30, relu6).StoreUnsafe(ref out3, (nuint)p); Clamp(a31, relu6).StoreUnsafe(ref out3, (nuint)(p + 8));
            }
        }
        if (System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.IsSupported)
        {
            // ARM64: the same tiles with the weights applied by lane (Pointwise.AdvSimd.cs)
            p = Block4AdvSimd(ref input, planes, ref output, w, bias, n, relu6, count);
        }
        if (Vector128.IsHardwareAccelerated)
        {
            // 4 outputs x 2 vectors of 4, 8 positions per tile (the portable 128-bit path)
            for (; p + 8 <= n; p += 8)
            {
                var a00 = Vector128.Create(b0); var a01 = a00;
                var a10 = Vector128.Create(b1); var a11 = a10;
                var a20 = Vector128.Create(b2); var a21 = a20;
                var a30 = Vector128.Create(b3); var a31 = a30;
                for (nint i = 0; i < k; i++)
                {
                    ref float src = ref Unsafe.Add(ref input, Unsafe.Add(ref plane, i) * n + p);
                    var x0 = Vector128.LoadUnsafe(ref src);
                    var x1 = Vector128.LoadUnsafe(ref src, 4);
                    var w0 = Vector128.Create(row0[i]); var w1 = Vector128.Create(row1[i]);
                    var w2 = Vector128.Create(row2[i]); var w3 = Vector128.Create(row3[i]);
                    a00 = Simd.Fma(x0, w0, a00); a01 = Simd.Fma(x1, w0, a01);
                    a10 = Simd.Fma(x0, w1, a10); a11 = Simd.Fma(x1, w1, a11);
                    a20 = Simd.Fma(x0, w2, a20); a21 = Simd.Fma(x1, w2, a21);
                    a30 = Simd.Fma(x0, w3, a30); a31 = Simd.Fma(x1, w3, a31);
                }
                Clamp(a00, relu6).StoreUnsafe(ref out0, (nuint)p); Clamp(a01, relu6).StoreUnsafe(ref out0, (nuint)(p + 4));
                Clamp(a10, relu6).StoreUnsafe(ref out1, (nuint)p); Clamp(a11, relu6).StoreUnsafe(ref out1, (nuint)(p + 4));
                Clamp(a20, relu6).StoreUnsafe(ref out2, (nuint)p); Clamp(a21, relu6).StoreUnsafe(ref out2, (nuint)(p + 4));
                Clamp(a30, relu6).StoreUnsafe(ref out3, (nuint)p); Clamp(a31, relu6).StoreUnsafe(ref out3, (nuint)(p + 4));
            }
            for (; p + 4 <= n; p += 4)
            {
                var a0 = Vector128.Create(b0); var a1 = Vector128.Create(b1);
                var a2 = Vector128.Create(b2); var a3 = Vector128.Create(b3);
                for (nint i = 0; i < k; i++)
                {
                    var x = Vector128.LoadUnsafe(ref Unsafe.Add(ref input, Unsafe.Add(ref plane, i) * n + p));
                    a0 = Simd.Fma(x, Vector128.Create(row0[i]), a0); a1 = Simd.Fma(x, Vector128.Create(row1[i]), a1);
                    a2 = Simd.Fma(x, Vector128.Create(row2[i]), a2); a3 = Simd.Fma(x, Vector128.Create(row3[i]), a3);
                }
                Clamp(a0, relu6).StoreUnsafe(ref out0, (nuint)p); Clamp(a1, relu6).StoreUnsafe(ref out1, (nuint)p);
                Clamp(a2, relu6).StoreUnsafe(ref out2, (nuint)p); Clamp(a3, relu6).StoreUnsafe(ref out3, (nuint)p);
            }
        }
        for (; p < n; p++)
        {
            float s0 = b0, s1 = b1, s2 = b2, s3 = b3;
            for (nint i = 0; i < k; i++)
            {
                float x = Unsafe.Add(ref input, Unsafe.Add(ref plane, i) * n + p);
                s0 = Simd.Fma(x, row0[i], s0); s1 = Simd.Fma(x, row1[i], s1);
                s2 = Simd.Fma(x, row2[i], s2); s3 = Simd.Fma(x, row3[i], s3);
            }
            Unsafe.Add(ref out0, p) = Clamp(s0, relu6); Unsafe.Add(ref out1, p) = Clamp(s1, relu6);
            Unsafe.Add(ref out2, p) = Clamp(s2, relu6); Unsafe.Add(ref out3, p) = Clamp(s3, relu6);
        }
    }
}
