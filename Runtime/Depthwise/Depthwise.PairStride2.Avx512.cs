// AVX-512 variant of Depthwise.PairStride2: input rows in one or two 512-bit vectors, the stride-2
// row taps gathered by vpermt2ps.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MicroNet.Aot.Runtime;

public static unsafe partial class Depthwise
{
#if NET9_0_OR_GREATER // the masked loads and stores it needs are .NET 9 API
    /// <summary>
    /// Whether <c>PairRowsStride2</c> runs this downsampling pair: AVX-512 with accelerated 512-bit
    /// vectors, a depthwise k x 1 (k = 3 or 5, centred) and a 1 x k (the same) without a channel
    /// multiplier, and input rows of 9-15 floats (one 512-bit vector a row, its last lane zero for
    /// the taps outside the row) or 16-31 (two).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool PairRowsStride2Applies(int columnInputs, int rowMultiplier, int columnK, int columnPad, int rowK, int rowPad, int inWidth) =>
        Avx512F.VL.IsSupported && Vector512.IsHardwareAccelerated && columnInputs == 1 && rowMultiplier == 1 &&
        columnK is 3 or 5 && columnPad == columnK / 2 && rowK is 3 or 5 && rowPad == rowK / 2 && inWidth >= 9 && inWidth <= 31;

    /// <summary>
    /// The stride-2 pair of <see cref="PairStride2"/> with one input row per one or two 512-bit
    /// vectors: intermediate row y is the k x 1 conv's k FMAs over input rows 2y - pad .. (whole
    /// rows, as in <see cref="PairRows"/>), and output row y its 1 x k stride-2 conv straight from
    /// the registers: tap t of output column x is intermediate column 2x + t - pad, gathered for all
    /// columns by one <c>vpermt2ps</c> with a constant index vector (columns outside the row index
    /// a zero lane). The same sums as the two layers apart, bit for bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PairRowsStride2(ref float input, ReadOnlySpan<int> inputPlanes, nint inPlane, ref float output, nint outPlane,
        float* columnWeights, float* columnBias, int columnK, float* rowWeights, float* rowBias, int rowK, int inHeight, int inWidth, int outHeight, int outWidth, bool relu6)
    {
        fixed (float* inputAt = &input) fixed (float* outputAt = &output)
        {
            if (columnK == 5)
            {
                if (rowK == 5) PairRowsStride2<FiveTaps, FiveTaps>(inputAt, inputPlanes, inPlane, outputAt, outPlane, columnWeights, columnBias, rowWeights, rowBias, inHeight, inWidth, outHeight, outWidth, relu6);
                else PairRowsStride2<FiveTaps, ThreeTaps>(inputAt, inputPlanes, inPlane, outputAt, outPlane, columnWeights, columnBias, rowWeights, rowBias, inHeight, inWidth, outHeight, outWidth, relu6);
            }
            else if (rowK == 5) PairRowsStride2<ThreeTaps, FiveTaps>(inputAt, inputPlanes, inPlane, outputAt, outPlane, columnWeights, columnBias, rowWeights, rowBias, inHeight, inWidth, outHeight, outWidth, relu6);
            else PairRowsStride2<ThreeTaps, ThreeTaps>(inputAt, inputPlanes, inPlane, outputAt, outPlane, columnWeights, columnBias, rowWeights, rowBias, inHeight, inWidth, outHeight, outWidth, relu6);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PairRowsStride2<TColumn, TRow>(float* input, ReadOnlySpan<int> inputPlanes, nint inPlane, float* output, nint outPlane,
        float* columnWeights, float* columnBias, float* rowWeights, float* rowBias, int inHeight, int inWidth, int outHeight, int outWidth, bool relu6)
        where TColumn : ITapCount where TRow : ITapCount
    {
        bool two = inWidth >= 16; // the second vector holds columns 16 .. inWidth - 1 (none for 16: a zero lane for the taps outside)
        var keep = Lanes16.FirstLanes(two ? inWidth - 16 : inWidth); // of the row's last vector
        var outKeep = Lanes16.FirstLanes(outWidth);
        // the row taps' gathers: lane x of tap t reads column 2x + t - pad of [first vector, second
        // vector] (or of [row, zeros]); outside the row, a lane that is zero (the row's last lane)
        int zeroLane = two ? 31 : 15;
        var gather = new Gathers(TRow.K, inWidth, zeroLane);
        nint lastRow = (nint)(inHeight - 1) * inWidth;
        int pad = TColumn.K / 2, outN = outHeight * outWidth;
        for (int m = 0; m < inputPlanes.Length; m++)
        {
            float* source = input + inputPlanes[m] * inPlane;
            float* target = output + m * outPlane;
            var column = new BroadcastTaps<Vector512<float>, Lanes16>(columnWeights + m * TColumn.K, TColumn.K, columnBias[m]);
            var row = new BroadcastTaps<Vector512<float>, Lanes16>(rowWeights + m * TRow.K, TRow.K, rowBias[m]);
            // the last input row ends before a whole vector (two: its second vector) would
            var last = two ? Lanes16.Load(source + lastRow) : Lanes16.LoadMasked(source + lastRow, keep);
            var lastHigh = two ? Lanes16.LoadMasked(source + lastRow + 16, keep) : Lanes16.Zero;
            for (int y = 0; y < outHeight; y++)
            {
                int top = 2 * y - pad;
                bool interior = top >= 0 && top + TColumn.K - 1 < inHeight - 1;
                var low = interior ? Interior<Vector512<float>, Lanes16, TColumn>(source + top * inWidth, inWidth, column)
                    : Edge<Vector512<float>, Lanes16, TColumn>(source, 2 * y, inHeight, inWidth, last, column);
                var high = Lanes16.Zero;
                if (two)
                {
                    high = interior ? Interior<Vector512<float>, Lanes16, TColumn>(source + 16 + top * inWidth, inWidth, column)
                        : Edge<Vector512<float>, Lanes16, TColumn>(source + 16, 2 * y, inHeight, inWidth, lastHigh, column);
                    high &= keep;
                }
                else low &= keep;
                if (two)
                {
                    var acc = Lanes16.Fma(Avx512F.PermuteVar16x32x2(low, gather.T0, high), row.T0, row.Bias);
                    acc = Lanes16.Fma(Avx512F.PermuteVar16x32x2(low, gather.T1, high), row.T1, acc);
                    acc = Lanes16.Fma(Avx512F.PermuteVar16x32x2(low, gather.T2, high), row.T2, acc);
                    if (TRow.K == 5)
                    {
                        acc = Lanes16.Fma(Avx512F.PermuteVar16x32x2(low, gather.T3, high), row.T3, acc);
                        acc = Lanes16.Fma(Avx512F.PermuteVar16x32x2(low, gather.T4, high), row.T4, acc);
                    }
                    if (relu6) acc = Lanes16.Relu6(acc);
                    Store<Vector512<float>, Lanes16>(target + y * outWidth, acc, y * outWidth + 16 > outN, outKeep); // masked where 16 lanes would leave the plane
                }
                else
                {
                    // at most 8 outputs from at most 15 columns: 256-bit gathers over the row's two halves and 256-bit FMAs
                    var first = low.GetLower(); var second = low.GetUpper();
                    var acc = Lanes8.Fma(Avx512F.VL.PermuteVar8x32x2(first, gather.T0.GetLower(), second), row.T0.GetLower(), row.Bias.GetLower());
                    acc = Lanes8.Fma(Avx512F.VL.PermuteVar8x32x2(first, gather.T1.GetLower(), second), row.T1.GetLower(), acc);
                    acc = Lanes8.Fma(Avx512F.VL.PermuteVar8x32x2(first, gather.T2.GetLower(), second), row.T2.GetLower(), acc);
                    if (TRow.K == 5)
                    {
                        acc = Lanes8.Fma(Avx512F.VL.PermuteVar8x32x2(first, gather.T3.GetLower(), second), row.T3.GetLower(), acc);
                        acc = Lanes8.Fma(Avx512F.VL.PermuteVar8x32x2(first, gather.T4.GetLower(), second), row.T4.GetLower(), acc);
                    }
                    if (relu6) acc = Lanes8.Relu6(acc);
                    Store<Vector256<float>, Lanes8>(target + y * outWidth, acc, y * outWidth + 8 > outN, outKeep.GetLower()); // masked where 8 lanes would leave the plane
                }
            }
        }
    }

    /// <summary>The index vectors of a stride-2 1 x k conv's taps over a row of 32 lanes (two vectors).</summary>
    private readonly struct Gathers
    {
        public readonly Vector512<int> T0, T1, T2, T3, T4;

        public Gathers(int k, int width, int zeroLane)
        {
            int pad = k / 2;
            T0 = Of(0 - pad, width, zeroLane); T1 = Of(1 - pad, width, zeroLane); T2 = Of(2 - pad, width, zeroLane);
            T3 = k == 5 ? Of(3 - pad, width, zeroLane) : default;
            T4 = k == 5 ? Of(4 - pad, width, zeroLane) : default;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static Vector512<int> Of(int offset, int width, int zeroLane)
        {
            int* lanes = stackalloc int[16];
            for (int x = 0; x < 16; x++)
            {
                int column = 2 * x + offset;
                lanes[x] = column >= 0 && column < width ? column : zeroLane;
            }
            return Vector512.Load(lanes);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static TV InputRow<TV, TLanes>(float* source, int y, int height, int width, TV last) where TV : struct where TLanes : IRowLanes<TV> =>
        y < 0 || y >= height ? TLanes.Zero : y == height - 1 ? last : TLanes.Load(source + y * width);

    /// <summary>The 1 x k conv of one intermediate row (its lanes past the row zeroed first), clamped with <paramref name="relu6"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static TV OutputRow<TV, TLanes, TColumn, TRow>(TV middle, TV keep, BroadcastTaps<TV, TLanes> w, bool relu6)
        where TV : struct where TLanes : IRowLanes<TV> where TColumn : ITapCount where TRow : ITapCount
    {
        middle = TLanes.And(middle, keep);
        TV acc;
        if (TRow.K == 5)
        {
            acc = TLanes.Fma(TLanes.Previous2(middle), w.T0, w.Bias); // lane x: column x - 2
            acc = TLanes.Fma(TLanes.Previous1(middle), w.T1, acc);
            acc = TLanes.Fma(middle, w.T2, acc);
            acc = TLanes.Fma(TLanes.Next1(middle), w.T3, acc);
            acc = TLanes.Fma(TLanes.Next2(middle), w.T4, acc);
        }
        else
        {
            acc = TLanes.Fma(TLanes.Previous1(middle), w.T0, w.Bias);
            acc = TLanes.Fma(middle, w.T1, acc);
            acc = TLanes.Fma(TLanes.Next1(middle), w.T2, acc);
        }
        return relu6 ? TLanes.Relu6(acc) : acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Store<TV, TLanes>(float* at, TV value, bool lastRow, TV keep) where TV : struct where TLanes : IRowLanes<TV>
    {
        if (lastRow) TLanes.StoreMasked(at, keep, value); // nothing written past the plane
        else TLanes.Store(at, value);
    }
#endif
}
