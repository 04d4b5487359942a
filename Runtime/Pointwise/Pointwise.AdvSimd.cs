using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace MicroNet.Aot.Runtime;

public static unsafe partial class Pointwise
{
    /// <summary>
    /// ARM64: <see cref="Block4"/>'s tiles of 4 outputs x 8 positions with the weights applied by
    /// lane (FMLA by element): an output row's weights for four consecutive inputs are contiguous, so
    /// one 128-bit load per row serves four inputs, where the portable path issues one broadcast per
    /// weight (16 per four inputs, against 4 here). The same fused multiply-adds in the same order
    /// as the Vector128 path, so the results are bit-identical to it.
    /// </summary>
    /// <returns>The positions done: the largest multiple of 8 not above <paramref name="n"/>.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static nint Block4AdvSimd(ref float input, ReadOnlySpan<int> planes, ref float output, float* w, float* bias, nint n, bool relu6, int count)
    {
        nint k = planes.Length;
        nint o1 = Math.Min(1, count - 1), o2 = Math.Min(2, count - 1), o3 = Math.Min(3, count - 1);
        float* row0 = w, row1 = w + o1 * k, row2 = w + o2 * k, row3 = w + o3 * k;
        var b0 = Vector128.Create(bias[0]); var b1 = Vector128.Create(bias[o1]);
        var b2 = Vector128.Create(bias[o2]); var b3 = Vector128.Create(bias[o3]);
        ref int plane = ref MemoryMarshal.GetReference(planes);
        ref float out0 = ref output;
        ref float out1 = ref Unsafe.Add(ref output, o1 * n);
        ref float out2 = ref Unsafe.Add(ref output, o2 * n);
        ref float out3 = ref Unsafe.Add(ref output, o3 * n);
        nint p = 0;
        for (; p + 8 <= n; p += 8)
        {
            var a00 = b0; var a01 = b0;
            var a10 = b1; var a11 = b1;
            var a20 = b2; var a21 = b2;
            var a30 = b3; var a31 = b3;
            nint i = 0;
            for (; i + 4 <= k; i += 4)
            {
                // weights of inputs i..i+3 for each of the four outputs, one vector per output
                var w0 = Vector128.Load(row0 + i); var w1 = Vector128.Load(row1 + i);
                var w2 = Vector128.Load(row2 + i); var w3 = Vector128.Load(row3 + i);
                Step(ref a00, ref a01, ref a10, ref a11, ref a20, ref a21, ref a30, ref a31,
                    ref Unsafe.Add(ref input, Unsafe.Add(ref plane, i) * n + p), w0, w1, w2, w3, 0);
                Step(ref a00, ref a01, ref a10, ref a11, ref a20, ref a21, ref a30, ref a31,
                    ref Unsafe.Add(ref input, Unsafe.Add(ref plane, i + 1) * n + p), w0, w1, w2, w3, 1);
                Step(ref a00, ref a01, ref a10, ref a11, ref a20, ref a21, ref a30, ref a31,
                    ref Unsafe.Add(ref input, Unsafe.Add(ref plane, i + 2) * n + p), w0, w1, w2, w3, 2);
                Step(ref a00, ref a01, ref a10, ref a11, ref a20, ref a21, ref a30, ref a31,
                    ref Unsafe.Add(ref input, Unsafe.Add(ref plane, i + 3) * n + p), w0, w1, w2, w3, 3);
            }
            for (; i < k; i++)
            {
                // the last k % 4 inputs: one broadcast per weight, as the portable path
                ref float src = ref Unsafe.Add(ref input, Unsafe.Add(ref plane, i) * n + p);
                var x0 = Vector128.LoadUnsafe(ref src);
                var x1 = Vector128.LoadUnsafe(ref src, 4);
                var w0 = Vector128.Create(row0[i]); var w1 = Vector128.Create(row1[i]);
                var w2 = Vector128.Create(row2[i]); var w3 = Vector128.Create(row3[i]);
                a00 = AdvSimd.FusedMultiplyAdd(a00, x0, w0); a01 = AdvSimd.FusedMultiplyAdd(a01, x1, w0);
                a10 = AdvSimd.FusedMultiplyAdd(a10, x0, w1); a11 = AdvSimd.FusedMultiplyAdd(a11, x1, w1);
                a20 = AdvSimd.FusedMultiplyAdd(a20, x0, w2); a21 = AdvSimd.FusedMultiplyAdd(a21, x1, w2);
                a30 = AdvSimd.FusedMultiplyAdd(a30, x0, w3); a31 = AdvSimd.FusedMultiplyAdd(a31, x1, w3);
            }
            Clamp(a00, relu6).StoreUnsafe(ref out0, (nuint)p); Clamp(a01, relu6).StoreUnsafe(ref out0, (nuint)(p + 4));
            Clamp(a10, relu6).StoreUnsafe(ref out1, (nuint)p); Clamp(a11, relu6).StoreUnsafe(ref out1, (nuint)(p + 4));
            Clamp(a20, relu6).StoreUnsafe(ref out2, (nuint)p); Clamp(a21, relu6).StoreUnsafe(ref out2, (nuint)(p + 4));
            Clamp(a30, relu6).StoreUnsafe(ref out3, (nuint)p); Clamp(a31, relu6).StoreUnsafe(ref out3, (nuint)(p + 4));
        }
        return p;
    }

    /// <summary>One input's 8 positions into the 4 x 2 accumulators, its weights lane <paramref name="lane"/> of w0..w3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Step(ref Vector128<float> a00, ref Vector128<float> a01, ref Vector128<float> a10, ref Vector128<float> a11,
        ref Vector128<float> a20, ref Vector128<float> a21, ref Vector128<float> a30, ref Vector128<float> a31,
        ref float src, Vector128<float> w0, Vector128<float> w1, Vector128<float> w2, Vector128<float> w3, [System.Diagnostics.CodeAnalysis.ConstantExpected(Max = 3)] byte lane)
    {
        var x0 = Vector128.LoadUnsafe(ref src);
        var x1 = Vector128.LoadUnsafe(ref src, 4);
        a00 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a00, x0, w0, lane); a01 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a01, x1, w0, lane);
        a10 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a10, x0, w1, lane); a11 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a11, x1, w1, lane);
        a20 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a20, x0, w2, lane); a21 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a21, x1, w2, lane);
        a30 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a30, x0, w3, lane); a31 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a31, x1, w3, lane);
    }

    /// <summary>
    /// ARM64: 8 outputs x 8 positions (16 accumulators of AArch64's 32 vector registers, where x64's
    /// 16 allow the 4 x 2 block), the weights applied by lane as in <see cref="Block4AdvSimd"/>: each
    /// input's two position vectors serve eight outputs. <paramref name="planeOffsets"/>[i] is
    /// input i's plane offset in bytes (planes[i] * n * 4), computed once per layer call instead of per input and tile. Tiles of 8 positions, the last one
    /// overlapping the one before (its positions recomputed exactly); n &gt;= 8. The same FMAs in
    /// the same order as the four-output blocks: bit-identical to them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block8AdvSimd(ref float input, nint* planeOffsets, nint k, ref float output, float* w, float* bias, nint n, bool relu6)
    {
        if (relu6) Block8AdvSimd<ClampToRelu6>(ref input, planeOffsets, k, ref output, w, bias, n);
        else Block8AdvSimd<NoClamp>(ref input, planeOffsets, k, ref output, w, bias, n);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block8AdvSimd<TClamp>(ref float input, nint* planeOffsets, nint k, ref float output, float* w, float* bias, nint n)
        where TClamp : struct, IOutputClamp
    {
        var zero = Vector128<float>.Zero; var six = Vector128.Create(6f); // ReLU6's limits, loaded once
        // the eight weight rows as pointers of their own: indexed by i they cost one load each,
        // where w + r * k + i is recomputed (a multiply-add) per row and step
        float* row0 = w, row1 = w + k, row2 = w + 2 * k, row3 = w + 3 * k;
        float* row4 = w + 4 * k, row5 = w + 5 * k, row6 = w + 6 * k, row7 = w + 7 * k;
        for (nint p = 0; ; p += 8)
        {
            if (p > n - 8) p = n - 8;
            ref float tile = ref Unsafe.Add(ref input, p); // position p of input plane 0
            var a00 = Vector128.Create(bias[0]); var a01 = a00;
            var a10 = Vector128.Create(bias[1]); var a11 = a10;
            var a20 = Vector128.Create(bias[2]); var a21 = a20;
            var a30 = Vector128.Create(bias[3]); var a31 = a30;
            var a40 = Vector128.Create(bias[4]); var a41 = a40;
            var a50 = Vector128.Create(bias[5]); var a51 = a50;
            var a60 = Vector128.Create(bias[6]); var a61 = a60;
            var a70 = Vector128.Create(bias[7]); var a71 = a70;
            nint i = 0;
            for (; i + 4 <= k; i += 4)
            {
                var w0 = Vector128.Load(row0 + i); var w1 = Vector128.Load(row1 + i);
                var w2 = Vector128.Load(row2 + i); var w3 = Vector128.Load(row3 + i);
                var w4 = Vector128.Load(row4 + i); var w5 = Vector128.Load(row5 + i);
                var w6 = Vector128.Load(row6 + i); var w7 = Vector128.Load(row7 + i);
                nint* at = planeOffsets + i;
                Step8(ref a00, ref a01, ref a10, ref a11, ref a20, ref a21, ref a30, ref a31, ref a40, ref a41, ref a50, ref a51, ref a60, ref a61, ref a70, ref a71,
                    ref Unsafe.AddByteOffset(ref tile, at[0]), w0, w1, w2, w3, w4, w5, w6, w7, 0);
                Step8(ref a00, ref a01, ref a10, ref a11, ref a20, ref a21, ref a30, ref a31, ref a40, ref a41, ref a50, ref a51, ref a60, ref a61, ref a70, ref a71,
                    ref Unsafe.AddByteOffset(ref tile, at[1]), w0, w1, w2, w3, w4, w5, w6, w7, 1);
                Step8(ref a00, ref a01, ref a10, ref a11, ref a20, ref a21, ref a30, ref a31, ref a40, ref a41, ref a50, ref a51, ref a60, ref a61, ref a70, ref a71,
                    ref Unsafe.AddByteOffset(ref tile, at[2]), w0, w1, w2, w3, w4, w5, w6, w7, 2);
                Step8(ref a00, ref a01, ref a10, ref a11, ref a20, ref a21, ref a30, ref a31, ref a40, ref a41, ref a50, ref a51, ref a60, ref a61, ref a70, ref a71,
                    ref Unsafe.AddByteOffset(ref tile, at[3]), w0, w1, w2, w3, w4, w5, w6, w7, 3);
            }
            for (; i < k; i++)
            {
                // the last k % 4 inputs: one broadcast per weight
                ref float src = ref Unsafe.AddByteOffset(ref tile, planeOffsets[i]);
                var x0 = Vector128.LoadUnsafe(ref src);
                var x1 = Vector128.LoadUnsafe(ref src, 4);
                var v = Vector128.Create(row0[i]); a00 = AdvSimd.FusedMultiplyAdd(a00, x0, v); a01 = AdvSimd.FusedMultiplyAdd(a01, x1, v);
                v = Vector128.Create(row1[i]); a10 = AdvSimd.FusedMultiplyAdd(a10, x0, v); a11 = AdvSimd.FusedMultiplyAdd(a11, x1, v);
                v = Vector128.Create(row2[i]); a20 = AdvSimd.FusedMultiplyAdd(a20, x0, v); a21 = AdvSimd.FusedMultiplyAdd(a21, x1, v);
                v = Vector128.Create(row3[i]); a30 = AdvSimd.FusedMultiplyAdd(a30, x0, v); a31 = AdvSimd.FusedMultiplyAdd(a31, x1, v);
                v = Vector128.Create(row4[i]); a40 = AdvSimd.FusedMultiplyAdd(a40, x0, v); a41 = AdvSimd.FusedMultiplyAdd(a41, x1, v);
                v = Vector128.Create(row5[i]); a50 = AdvSimd.FusedMultiplyAdd(a50, x0, v); a51 = AdvSimd.FusedMultiplyAdd(a51, x1, v);
                v = Vector128.Create(row6[i]); a60 = AdvSimd.FusedMultiplyAdd(a60, x0, v); a61 = AdvSimd.FusedMultiplyAdd(a61, x1, v);
                v = Vector128.Create(row7[i]); a70 = AdvSimd.FusedMultiplyAdd(a70, x0, v); a71 = AdvSimd.FusedMultiplyAdd(a71, x1, v);
            }
            // output row r at position p: one add per row, its two vectors one STP
            ref float row = ref Unsafe.Add(ref output, p);
            Store2<TClamp>(a00, a01, ref row, zero, six); row = ref Unsafe.Add(ref row, n);
            Store2<TClamp>(a10, a11, ref row, zero, six); row = ref Unsafe.Add(ref row, n);
            Store2<TClamp>(a20, a21, ref row, zero, six); row = ref Unsafe.Add(ref row, n);
            Store2<TClamp>(a30, a31, ref row, zero, six); row = ref Unsafe.Add(ref row, n);
            Store2<TClamp>(a40, a41, ref row, zero, six); row = ref Unsafe.Add(ref row, n);
            Store2<TClamp>(a50, a51, ref row, zero, six); row = ref Unsafe.Add(ref row, n);
            Store2<TClamp>(a60, a61, ref row, zero, six); row = ref Unsafe.Add(ref row, n);
            Store2<TClamp>(a70, a71, ref row, zero, six);
            if (p == n - 8) return;
        }
    }

    /// <summary>
    /// ARM64: <typeparamref name="TRows"/> (3, 4 or 6) outputs x 8 positions with the plane-offset
    /// table of <see cref="Block8AdvSimd"/> and its overlapping last tile (n &gt;= 8): the groups of
    /// 3, 4 or 6 outputs and the last 1-6 outputs of wider ones, where groups of 3 took a block of four
    /// (M2's 56x56 projection), blocks of four computed 8 for 6
    /// (M3's 28x28 projections) and a block of four per 8 + 2 outputs. The same FMAs in the same
    /// order as every other block: bit-identical to them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BlockRowsAdvSimd<TRows>(ref float input, nint* planeOffsets, nint k, ref float output, float* w, float* bias, nint n, bool relu6)
        where TRows : struct, IBlockRows
    {
        if (relu6) BlockRowsAdvSimd<TRows, ClampToRelu6>(ref input, planeOffsets, k, ref output, w, bias, n);
        else BlockRowsAdvSimd<TRows, NoClamp>(ref input, planeOffsets, k, ref output, w, bias, n);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BlockRowsAdvSimd<TRows, TClamp>(ref float input, nint* planeOffsets, nint k, ref float output, float* w, float* bias, nint n)
        where TRows : struct, IBlockRows where TClamp : struct, IOutputClamp
    {
        var zero = Vector128<float>.Zero; var six = Vector128.Create(6f); // ReLU6's limits, loaded once
        bool sixRows = TRows.Rows == 6, four = TRows.Rows >= 4;
        float* row0 = w, row1 = w + k, row2 = w + 2 * k, row3 = four ? w + 3 * k : w;
        float* row4 = sixRows ? w + 4 * k : w, row5 = sixRows ? w + 5 * k : w;
        // the biases broadcast once (registers to spare with at most 12 accumulators), not per tile
        var b0 = Vector128.Create(bias[0]); var b1 = Vector128.Create(bias[1]); var b2 = Vector128.Create(bias[2]);
        var b3 = four ? Vector128.Create(bias[3]) : default;
        var b4 = sixRows ? Vector128.Create(bias[4]) : default; var b5 = sixRows ? Vector128.Create(bias[5]) : default;
        for (nint p = 0; ; p += 8)
        {
            if (p > n - 8) p = n - 8;
            ref float tile = ref Unsafe.Add(ref input, p); // position p of input plane 0
            var a00 = b0; var a01 = b0;
            var a10 = b1; var a11 = b1;
            var a20 = b2; var a21 = b2;
            var a30 = b3; var a31 = b3;
            var a40 = b4; var a41 = b4; var a50 = b5; var a51 = b5;
            nint i = 0;
            for (; i + 4 <= k; i += 4)
            {
                var w0 = Vector128.Load(row0 + i); var w1 = Vector128.Load(row1 + i);
                var w2 = Vector128.Load(row2 + i); var w3 = four ? Vector128.Load(row3 + i) : default;
                var w4 = sixRows ? Vector128.Load(row4 + i) : default; var w5 = sixRows ? Vector128.Load(row5 + i) : default;
                nint* at = planeOffsets + i;
                StepRows<TRows>(ref a00, ref a01, ref a10, ref a11, ref a20, ref a21, ref a30, ref a31, ref a40, ref a41, ref a50, ref a51,
                    ref Unsafe.AddByteOffset(ref tile, at[0]), w0, w1, w2, w3, w4, w5, 0);
                StepRows<TRows>(ref a00, ref a01, ref a10, ref a11, ref a20, ref a21, ref a30, ref a31, ref a40, ref a41, ref a50, ref a51,
                    ref Unsafe.AddByteOffset(ref tile, at[1]), w0, w1, w2, w3, w4, w5, 1);
                StepRows<TRows>(ref a00, ref a01, ref a10, ref a11, ref a20, ref a21, ref a30, ref a31, ref a40, ref a41, ref a50, ref a51,
                    ref Unsafe.AddByteOffset(ref tile, at[2]), w0, w1, w2, w3, w4, w5, 2);
                StepRows<TRows>(ref a00, ref a01, ref a10, ref a11, ref a20, ref a21, ref a30, ref a31, ref a40, ref a41, ref a50, ref a51,
                    ref Unsafe.AddByteOffset(ref tile, at[3]), w0, w1, w2, w3, w4, w5, 3);
            }
            for (; i < k; i++)
            {
                // the last k % 4 inputs: one broadcast per weight
                ref float src = ref Unsafe.AddByteOffset(ref tile, planeOffsets[i]);
                var x0 = Vector128.LoadUnsafe(ref src);
                var x1 = Vector128.LoadUnsafe(ref src, 4);
                var v = Vector128.Create(row0[i]); a00 = AdvSimd.FusedMultiplyAdd(a00, x0, v); a01 = AdvSimd.FusedMultiplyAdd(a01, x1, v);
                v = Vector128.Create(row1[i]); a10 = AdvSimd.FusedMultiplyAdd(a10, x0, v); a11 = AdvSimd.FusedMultiplyAdd(a11, x1, v);
                v = Vector128.Create(row2[i]); a20 = AdvSimd.FusedMultiplyAdd(a20, x0, v); a21 = AdvSimd.FusedMultiplyAdd(a21, x1, v);
                if (four) { v = Vector128.Create(row3[i]); a30 = AdvSimd.FusedMultiplyAdd(a30, x0, v); a31 = AdvSimd.FusedMultiplyAdd(a31, x1, v); }
                if (sixRows)
                {
                    v = Vector128.Create(row4[i]); a40 = AdvSimd.FusedMultiplyAdd(a40, x0, v); a41 = AdvSimd.FusedMultiplyAdd(a41, x1, v);
                    v = Vector128.Create(row5[i]); a50 = AdvSimd.FusedMultiplyAdd(a50, x0, v); a51 = AdvSimd.FusedMultiplyAdd(a51, x1, v);
                }
            }
            ref float row = ref Unsafe.Add(ref output, p);
            Store2<TClamp>(a00, a01, ref row, zero, six); row = ref Unsafe.Add(ref row, n);
            Store2<TClamp>(a10, a11, ref row, zero, six); row = ref Unsafe.Add(ref row, n);
            Store2<TClamp>(a20, a21, ref row, zero, six);
            if (four) { row = ref Unsafe.Add(ref row, n); Store2<TClamp>(a30, a31, ref row, zero, six); }
            if (sixRows)
            {
                row = ref Unsafe.Add(ref row, n); Store2<TClamp>(a40, a41, ref row, zero, six);
                row = ref Unsafe.Add(ref row, n); Store2<TClamp>(a50, a51, ref row, zero, six);
            }
            if (p == n - 8) return;
        }
    }

    /// <summary>One input's 8 positions into the 3 x 2, 4 x 2 or 6 x 2 accumulators, its weights lane <paramref name="lane"/> of w0..w5.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void StepRows<TRows>(ref Vector128<float> a00, ref Vector128<float> a01, ref Vector128<float> a10, ref Vector128<float> a11,
        ref Vector128<float> a20, ref Vector128<float> a21, ref Vector128<float> a30, ref Vector128<float> a31,
        ref Vector128<float> a40, ref Vector128<float> a41, ref Vector128<float> a50, ref Vector128<float> a51,
        ref float src, Vector128<float> w0, Vector128<float> w1, Vector128<float> w2, Vector128<float> w3,
        Vector128<float> w4, Vector128<float> w5, [System.Diagnostics.CodeAnalysis.ConstantExpected(Max = 3)] byte lane)
        where TRows : struct, IBlockRows
    {
        var x0 = Vector128.LoadUnsafe(ref src);
        var x1 = Vector128.LoadUnsafe(ref src, 4);
        a00 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a00, x0, w0, lane); a01 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a01, x1, w0, lane);
        a10 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a10, x0, w1, lane); a11 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a11, x1, w1, lane);
        a20 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a20, x0, w2, lane); a21 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a21, x1, w2, lane);
        if (TRows.Rows >= 4) { a30 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a30, x0, w3, lane); a31 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a31, x1, w3, lane); }
        if (TRows.Rows == 6)
        {
            a40 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a40, x0, w4, lane); a41 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a41, x1, w4, lane);
            a50 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a50, x0, w5, lane); a51 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a51, x1, w5, lane);
        }
    }

    /// <summary>One input's 8 positions into the 8 x 2 accumulators, its weights lane <paramref name="lane"/> of w0..w7.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Step8(ref Vector128<float> a00, ref Vector128<float> a01, ref Vector128<float> a10, ref Vector128<float> a11,
        ref Vector128<float> a20, ref Vector128<float> a21, ref Vector128<float> a30, ref Vector128<float> a31,
        ref Vector128<float> a40, ref Vector128<float> a41, ref Vector128<float> a50, ref Vector128<float> a51,
        ref Vector128<float> a60, ref Vector128<float> a61, ref Vector128<float> a70, ref Vector128<float> a71,
        ref float src, Vector128<float> w0, Vector128<float> w1, Vector128<float> w2, Vector128<float> w3,
        Vector128<float> w4, Vector128<float> w5, Vector128<float> w6, Vector128<float> w7, [System.Diagnostics.CodeAnalysis.ConstantExpected(Max = 3)] byte lane)
    {
        var x0 = Vector128.LoadUnsafe(ref src);
        var x1 = Vector128.LoadUnsafe(ref src, 4);
        a00 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a00, x0, w0, lane); a01 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a01, x1, w0, lane);
        a10 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a10, x0, w1, lane); a11 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a11, x1, w1, lane);
        a20 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a20, x0, w2, lane); a21 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a21, x1, w2, lane);
        a30 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a30, x0, w3, lane); a31 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a31, x1, w3, lane);
        a40 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a40, x0, w4, lane); a41 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a41, x1, w4, lane);
        a50 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a50, x0, w5, lane); a51 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a51, x1, w5, lane);
        a60 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a60, x0, w6, lane); a61 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a61, x1, w6, lane);
        a70 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a70, x0, w7, lane); a71 = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(a71, x1, w7, lane);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Store2<TClamp>(Vector128<float> a, Vector128<float> b, ref float at, Vector128<float> zero, Vector128<float> six)
        where TClamp : struct, IOutputClamp
    {
        if (TClamp.Relu6) { a = AdvSimd.Min(AdvSimd.Max(a, zero), six); b = AdvSimd.Min(AdvSimd.Max(b, zero), six); }
        a.StoreUnsafe(ref at);
        b.StoreUnsafe(ref at, 4);
    }
}
