// The downsampling pair (k x 1 stride 2, then 1 x k stride 2) fused: the dispatcher and the portable
// (Vector256 / Vector128 / scalar) kernels.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MicroNet.Aot.Runtime;

public static unsafe partial class Depthwise
{
    /// <summary>Intermediate rows a fused stride-2 pair computes before their 1 x k pass (a few KB, in L1; even: they are computed in pairs).</summary>
    private const int PairStride2Rows = 8;

    /// <summary>Floats of intermediate rows the portable path of <see cref="PairStride2"/> keeps on the stack at most.</summary>
    private const int PairStride2BlockFloats = 4096;

    /// <summary>
    /// A k x 1 conv with stride 2 along H and the depthwise 1 x k conv with stride 2 along W that
    /// reads nothing but its output - MicroNet's downsampling pair, and its stem - run a few rows
    /// at a time: intermediate row y of plane m is bias columnBias[m] plus, for each of its
    /// <paramref name="columnInputs"/> input planes g (<paramref name="inputPlanes"/>[m * columnInputs + g]:
    /// 1 for a depthwise conv, 3 for the stem's dense conv over the RGB planes), the k x 1 taps
    /// columnWeights[(m * columnInputs + g) * columnK ..] at input rows 2y - columnPad ..; output
    /// row y of plane o = m * rowMultiplier + j (j below <paramref name="rowMultiplier"/>, the
    /// 1 x k conv's channel multiplier) is the 1 x k stride-2 conv of it (rowWeights[o*rowK ..],
    /// rowBias[o]), clamped to [0, 6] with <paramref name="relu6"/>. The intermediate tensor (half
    /// the input's rows, all its columns) never reaches the arena. Each value is summed as by the
    /// two layers apart (bias, then the taps in order, input plane by input plane; a tap outside
    /// the input adds a zero).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PairStride2(ref float input, ReadOnlySpan<int> inputPlanes, int columnInputs, nint inPlane, ref float output, nint outPlane,
        float* columnWeights, float* columnBias, int columnK, int columnPad, float* rowWeights, float* rowBias, int rowK, int rowPad,
        int rowMultiplier, int inHeight, int inWidth, bool relu6)
    {
        int outHeight = (inHeight + 2 * columnPad - columnK) / 2 + 1;
        int outWidth = (inWidth + 2 * rowPad - rowK) / 2 + 1;
#if NET9_0_OR_GREATER
        if (PairRowsStride2Applies(columnInputs, rowMultiplier, columnK, columnPad, rowK, rowPad, inWidth))
        {
            // AVX-512: an input row per one or two vectors, the intermediate row never leaving its registers
            PairRowsStride2(ref input, inputPlanes, inPlane, ref output, outPlane, columnWeights, columnBias, columnK, rowWeights, rowBias, rowK,
                inHeight, inWidth, outHeight, outWidth, relu6);
            return;
        }
#endif
        if (PairStride2VectorsAdvSimdApplies(columnInputs, rowMultiplier, columnK, columnPad, rowK, rowPad, inWidth))
        {
            // ARM64: the intermediate row in registers, eight columns a step split by LD2 (Depthwise.PairStride2.AdvSimd.cs)
            PairStride2VectorsAdvSimd(ref input, inputPlanes, columnInputs, inPlane, ref output, outPlane, columnWeights, columnBias, columnK, rowWeights, rowBias, rowK,
                rowMultiplier, inHeight, inWidth, outHeight, outWidth, relu6);
            return;
        }
        if (columnInputs == 1 && rowMultiplier == 1 && PairBlocks8Applies(inputPlanes.Length, inPlane, outPlane, columnK, columnPad, rowK, rowPad, 2, inHeight, inWidth))
        {
            // the 14 -> 7 downsampling: eight channels at a time, channel-blocked on the stack (bit for bit the same sums)
            int done = PairBlocks8(ref input, inputPlanes, inPlane, ref output, outPlane, columnWeights, columnBias, columnK, columnPad,
                rowWeights, rowBias, rowK, rowPad, 2, inHeight, inWidth, relu6);
            if (done == inputPlanes.Length) return;
            inputPlanes = inputPlanes.Slice(done);
            output = ref Unsafe.Add(ref output, done * outPlane);
            columnWeights += done * columnK; columnBias += done;
            rowWeights += done * rowK; rowBias += done;
        }
        int middles = inputPlanes.Length / columnInputs;
        bool split = PairStride2SplitApplies(columnInputs, columnK, columnPad, rowK, rowPad, inHeight, inWidth, inPlane);
        if (split && columnInputs == 1)
        {
            PairStride2Split(ref input, inputPlanes, inPlane, ref output, outPlane, columnWeights, columnBias, columnK, rowWeights, rowBias, rowK,
                rowMultiplier, inHeight, inWidth, outHeight, relu6);
            return;
        }
        if (PairStride2NarrowApplies(columnInputs, columnK, columnPad, rowK, rowPad, inHeight, inWidth, inPlane))
        {
            PairStride2Narrow(ref input, inputPlanes, inPlane, ref output, outPlane, columnWeights, columnBias, columnK, rowWeights, rowBias, rowK,
                rowMultiplier, inHeight, inWidth, outHeight, relu6);
            return;
        }
        if (split) // columnInputs == 3, k = 3: the stem
        {
            RgbPairStride2Split(ref input, inputPlanes, inPlane, ref output, outPlane, columnWeights, columnBias, rowWeights, rowBias, rowK,
                rowMultiplier, inHeight, inWidth, outHeight, relu6);
            return;
        }
        // any other shape or instruction set: blocks of intermediate rows on the stack, then the
        // 1 x k kernel over each block
        int rows = Math.Max(1, Math.Min(outHeight, PairStride2BlockFloats / inWidth));
        float* middle = stackalloc float[rows * inWidth];
        // an intermediate row's taps that fall inside the input, in summation order (input plane by
        // input plane, tap by tap): their input rows' offsets and their weights
        int maxTaps = columnInputs * columnK;
        nint* tapOffsets = stackalloc nint[maxTaps];
        float* tapWeights = stackalloc float[maxTaps];
        // the 1 x k pass's edge masks, built once per block height (not once per block and plane)
        int lastRows = outHeight % rows;
        uint* masks = stackalloc uint[RowMaskLength(rowK, rows, inWidth, outWidth)];
        RowMasks(masks, rowK, rowPad, 2, rows, inWidth, outWidth);
        uint* lastMasks = stackalloc uint[lastRows != 0 ? RowMaskLength(rowK, lastRows, inWidth, outWidth) : 0];
        if (lastRows != 0) RowMasks(lastMasks, rowK, rowPad, 2, lastRows, inWidth, outWidth);
        // the taps whose masks have a zero (the others skip their mask loads)
        int maskedTaps = MaskedTaps(masks, rowK, RowMaskLength(rowK, rows, inWidth, outWidth) / rowK);
        int lastMaskedTaps = lastRows != 0 ? MaskedTaps(lastMasks, rowK, RowMaskLength(rowK, lastRows, inWidth, outWidth) / rowK) : maskedTaps;
        for (int m = 0; m < middles; m++)
        {
            for (int y0 = 0; y0 < outHeight; y0 += rows)
            {
                int r = Math.Min(rows, outHeight - y0);
                for (int i = 0; i < r; i++)
                {
                    if (columnInputs == 1)
                    {
                        // one input plane: the taps inside it are one run of rows, no list to build
                        int iy0 = 2 * (y0 + i) - columnPad;
                        int first = Math.Max(0, -iy0), last = Math.Min(columnK, inHeight - iy0);
                        ColumnTapsRun(ref input, inputPlanes[m] * inPlane + (nint)(iy0 + first) * inWidth, inWidth, columnWeights + m * columnK + first,
                            Math.Max(0, last - first), columnBias[m], middle + i * inWidth, inWidth);
                        continue;
                    }
                    int used = 0;
                    for (int g = 0; g < columnInputs; g++)
                    {
                        nint plane = inputPlanes[m * columnInputs + g] * inPlane;
                        float* taps = columnWeights + (m * columnInputs + g) * columnK;
                        for (int t = 0; t < columnK; t++)
                        {
                            int iy = 2 * (y0 + i) - columnPad + t;
                            if (iy < 0 || iy >= inHeight) continue; // a tap outside the input adds a zero
                            tapOffsets[used] = plane + (nint)iy * inWidth;
                            tapWeights[used++] = taps[t];
                        }
                    }
                    ColumnTaps(ref input, tapOffsets, tapWeights, used, columnBias[m], middle + i * inWidth, inWidth);
                }
                for (int j = 0; j < rowMultiplier; j++)
                {
                    int o = m * rowMultiplier + j;
                    Row(ref *middle, ref Unsafe.Add(ref output, o * outPlane + (nint)y0 * outWidth), rowWeights + o * rowK, rowBias[o],
                        rowK, rowPad, 2, r, inWidth, outWidth, r == rows ? masks : lastMasks, relu6, r == rows ? maskedTaps : lastMaskedTaps);
                }
            }
        }
    }

    /// <summary>
    /// One intermediate row of a k x 1 conv: mid[x] = bias, then fma(input[offsets[t] + x],
    /// weights[t], .) for t in [0, taps) in order - the sums of one read-modify-write pass of the
    /// row per tap, bit for bit, in passes of up to three taps held in registers (one pass for a
    /// k = 3 depthwise row; three for the stem's 3 planes x 3 taps).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ColumnTaps(ref float input, nint* offsets, float* weights, int taps, float bias, float* mid, nint n)
    {
        if (taps == 0)
        {
            new Span<float>(mid, (int)n).Fill(bias);
            return;
        }
        for (int t = 0; t < taps; t += 3)
        {
            int pass = Math.Min(3, taps - t);
            bool first = t == 0;
            // the pass's shape as type constants, so its loop carries no branch on them
            if (pass == 3)
            {
                if (first) ColumnTapsPass<PassOf3, FromBias>(ref input, offsets + t, weights + t, bias, mid, n);
                else ColumnTapsPass<PassOf3, FromMid>(ref input, offsets + t, weights + t, bias, mid, n);
            }
            else if (pass == 2)
            {
                if (first) ColumnTapsPass<PassOf2, FromBias>(ref input, offsets + t, weights + t, bias, mid, n);
                else ColumnTapsPass<PassOf2, FromMid>(ref input, offsets + t, weights + t, bias, mid, n);
            }
            else
            {
                if (first) ColumnTapsPass<PassOf1, FromBias>(ref input, offsets + t, weights + t, bias, mid, n);
                else ColumnTapsPass<PassOf1, FromMid>(ref input, offsets + t, weights + t, bias, mid, n);
            }
        }
    }

    private interface IPassTaps { static abstract int Count { get; } }
    private struct PassOf1 : IPassTaps { public static int Count => 1; }
    private struct PassOf2 : IPassTaps { public static int Count => 2; }
    private struct PassOf3 : IPassTaps { public static int Count => 3; }
    private interface IPassStart { static abstract bool First { get; } }
    private struct FromBias : IPassStart { public static bool First => true; }
    private struct FromMid : IPassStart { public static bool First => false; }

    /// <summary>
    /// <see cref="ColumnTaps"/> for taps on consecutive rows of one plane: tap t reads the row at
    /// <paramref name="firstOffset"/> + t * <paramref name="rowStride"/> (the same sums).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ColumnTapsRun(ref float input, nint firstOffset, nint rowStride, float* weights, int taps, float bias, float* mid, nint n)
    {
        nint* offsets = stackalloc nint[3];
        if (taps == 0)
        {
            new Span<float>(mid, (int)n).Fill(bias);
            return;
        }
        for (int t = 0; t < taps; t += 3)
        {
            int pass = Math.Min(3, taps - t);
            for (int j = 0; j < pass; j++) offsets[j] = firstOffset + (t + j) * rowStride;
            if (pass == 3)
            {
                if (t == 0) ColumnTapsPass<PassOf3, FromBias>(ref input, offsets, weights + t, bias, mid, n);
                else ColumnTapsPass<PassOf3, FromMid>(ref input, offsets, weights + t, bias, mid, n);
            }
            else if (pass == 2)
            {
                if (t == 0) ColumnTapsPass<PassOf2, FromBias>(ref input, offsets, weights + t, bias, mid, n);
                else ColumnTapsPass<PassOf2, FromMid>(ref input, offsets, weights + t, bias, mid, n);
            }
            else
            {
                if (t == 0) ColumnTapsPass<PassOf1, FromBias>(ref input, offsets, weights + t, bias, mid, n);
                else ColumnTapsPass<PassOf1, FromMid>(ref input, offsets, weights + t, bias, mid, n);
            }
        }
    }

    /// <summary>One pass of 1-3 taps (<typeparamref name="TTaps"/>): from the bias or from what mid holds (<typeparamref name="TStart"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ColumnTapsPass<TTaps, TStart>(ref float input, nint* offsets, float* weights, float bias, float* mid, nint n)
        where TTaps : struct, IPassTaps where TStart : struct, IPassStart
    {
        int taps = TTaps.Count;
        bool first = TStart.First;
        ref float s0 = ref Unsafe.Add(ref input, offsets[0]);
        ref float s1 = ref Unsafe.Add(ref input, offsets[taps > 1 ? 1 : 0]);
        ref float s2 = ref Unsafe.Add(ref input, offsets[taps > 2 ? 2 : 0]);
        nint x = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            var b = Vector128.Create(bias);
            var w0 = Vector128.Create(weights[0]);
            var w1 = Vector128.Create(weights[taps > 1 ? 1 : 0]);
            var w2 = Vector128.Create(weights[taps > 2 ? 2 : 0]);
            // two vectors a step (each position its own chain: the same sums)
            for (; x <= n - 8; x += 8)
            {
                var acc0 = Simd.Fma(Vector128.LoadUnsafe(ref s0, (nuint)x), w0, first ? b : Vector128.Load(mid + x));
                var acc1 = Simd.Fma(Vector128.LoadUnsafe(ref s0, (nuint)(x + 4)), w0, first ? b : Vector128.Load(mid + x + 4));
                if (taps > 1)
                {
                    acc0 = Simd.Fma(Vector128.LoadUnsafe(ref s1, (nuint)x), w1, acc0);
                    acc1 = Simd.Fma(Vector128.LoadUnsafe(ref s1, (nuint)(x + 4)), w1, acc1);
                }
                if (taps > 2)
                {
                    acc0 = Simd.Fma(Vector128.LoadUnsafe(ref s2, (nuint)x), w2, acc0);
                    acc1 = Simd.Fma(Vector128.LoadUnsafe(ref s2, (nuint)(x + 4)), w2, acc1);
                }
                acc0.Store(mid + x);
                acc1.Store(mid + x + 4);
            }
            for (; x <= n - 4; x += 4)
            {
                var acc = Simd.Fma(Vector128.LoadUnsafe(ref s0, (nuint)x), w0, first ? b : Vector128.Load(mid + x));
                if (taps > 1) acc = Simd.Fma(Vector128.LoadUnsafe(ref s1, (nuint)x), w1, acc);
                if (taps > 2) acc = Simd.Fma(Vector128.LoadUnsafe(ref s2, (nuint)x), w2, acc);
                acc.Store(mid + x);
            }
        }
        for (; x < n; x++)
        {
            float acc = Simd.Fma(Unsafe.Add(ref s0, x), weights[0], first ? bias : mid[x]);
            if (taps > 1) acc = Simd.Fma(Unsafe.Add(ref s1, x), weights[1], acc);
            if (taps > 2) acc = Simd.Fma(Unsafe.Add(ref s2, x), weights[2], acc);
            mid[x] = acc;
        }
    }
}
