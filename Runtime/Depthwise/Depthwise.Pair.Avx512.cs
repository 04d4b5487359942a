// AVX-512 variant of Depthwise.Pair: one plane row per vector (256-bit with AVX-512VL for rows of
// 4-8 floats, 512-bit for 9-16), the intermediate row never leaves its register. Also the row-lane
// types shared with Depthwise.PairStride2.Avx512.cs.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MicroNet.Aot.Runtime;

public static unsafe partial class Depthwise
{
    /// <summary>
    /// Whether <c>PairRows</c> runs this stride-1 pair: AVX-512
    /// present, k = 3 or 5 on both convs with centred padding, and rows of 4-8 floats (one 256-bit
    /// vector a row, AVX-512VL's lane shifts) or 9-16 floats (one 512-bit vector a row, only where
    /// the runtime reports 512-bit vectors accelerated: not on the parts that slow their clock
    /// for them). A row of at least half a vector keeps every unmasked load inside its plane.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool PairRowsApplies(int columnK, int columnPad, int rowK, int rowPad, int width) =>
#if !NET9_0_OR_GREATER
        false; // the masked loads and stores it needs are .NET 9 API
#else
        Avx512F.VL.IsSupported &&
        columnK is 3 or 5 && columnPad == columnK / 2 && rowK is 3 or 5 && rowPad == rowK / 2 &&
        (width >= 4 && width <= 8 || width >= 9 && width <= 16 && Vector512.IsHardwareAccelerated);

    /// <summary>
    /// The stride-1 pair of <see cref="Pair"/> with one plane row per vector (AVX-512):
    /// output row y of the k x 1 conv is k FMAs over whole input rows (a row outside the plane is
    /// a zero vector, the last row a masked load); the 1 x k conv then reads that row while it is
    /// still in a register, its taps the row shifted by one or two lanes (<c>valignd</c> against a
    /// zero vector, so columns outside the row are zeros); the output row is stored whole (its
    /// lanes past the row land on the next row's start and are stored over) except the last,
    /// stored masked. The intermediate plane never touches memory and there are no per-tap masks:
    /// measured against the plane-by-plane kernel on 480 x 14 x 14 (k = 5), 0.73x, and against the
    /// channel-blocked one on 720 x 7 x 7, 0.67x. Every value is summed as by the two layers apart
    /// (bias, then taps in order, a tap outside the plane adding a zero product): bit for bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PairRows(ref float input, ReadOnlySpan<int> inputPlanes, nint inPlane, ref float output, nint outPlane,
        float* columnWeights, float* columnBias, int columnK, float* rowWeights, float* rowBias, int rowK, int height, int width, bool relu6)
    {
        fixed (float* inputAt = &input) fixed (float* outputAt = &output)
        {
            if (width <= 8)
            {
                if (columnK == 5)
                {
                    if (rowK == 5) PairRows<Vector256<float>, Lanes8, FiveTaps, FiveTaps>(inputAt, inputPlanes, inPlane, outputAt, outPlane, columnWeights, columnBias, rowWeights, rowBias, height, width, relu6);
                    else PairRows<Vector256<float>, Lanes8, FiveTaps, ThreeTaps>(inputAt, inputPlanes, inPlane, outputAt, outPlane, columnWeights, columnBias, rowWeights, rowBias, height, width, relu6);
                }
                else if (rowK == 5) PairRows<Vector256<float>, Lanes8, ThreeTaps, FiveTaps>(inputAt, inputPlanes, inPlane, outputAt, outPlane, columnWeights, columnBias, rowWeights, rowBias, height, width, relu6);
                else PairRows<Vector256<float>, Lanes8, ThreeTaps, ThreeTaps>(inputAt, inputPlanes, inPlane, outputAt, outPlane, columnWeights, columnBias, rowWeights, rowBias, height, width, relu6);
                return;
            }
            if (columnK == 5)
            {
                if (rowK == 5) PairRows<Vector512<float>, Lanes16, FiveTaps, FiveTaps>(inputAt, inputPlanes, inPlane, outputAt, outPlane, columnWeights, columnBias, rowWeights, rowBias, height, width, relu6);
                else PairRows<Vector512<float>, Lanes16, FiveTaps, ThreeTaps>(inputAt, inputPlanes, inPlane, outputAt, outPlane, columnWeights, columnBias, rowWeights, rowBias, height, width, relu6);
            }
            else if (rowK == 5) PairRows<Vector512<float>, Lanes16, ThreeTaps, FiveTaps>(inputAt, inputPlanes, inPlane, outputAt, outPlane, columnWeights, columnBias, rowWeights, rowBias, height, width, relu6);
            else PairRows<Vector512<float>, Lanes16, ThreeTaps, ThreeTaps>(inputAt, inputPlanes, inPlane, outputAt, outPlane, columnWeights, columnBias, rowWeights, rowBias, height, width, relu6);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PairRows<TV, TLanes, TColumn, TRow>(float* input, ReadOnlySpan<int> inputPlanes, nint inPlane, float* output, nint outPlane,
        float* columnWeights, float* columnBias, float* rowWeights, float* rowBias, int height, int width, bool relu6)
        where TV : struct
        where TLanes : IRowLanes<TV>
        where TColumn : ITapCount
        where TRow : ITapCount
    {
        var keep = TLanes.FirstLanes(width); // the row's columns; the lanes past them are zeroed before the row taps
        nint lastRow = (nint)(height - 1) * width;
        int pad = TColumn.K / 2;
        for (int m = 0; m < inputPlanes.Length; m++)
        {
            float* source = input + inputPlanes[m] * inPlane;
            float* target = output + m * outPlane;
            var column = new BroadcastTaps<TV, TLanes>(columnWeights + m * TColumn.K, TColumn.K, columnBias[m]);
            var row = new BroadcastTaps<TV, TLanes>(rowWeights + m * TRow.K, TRow.K, rowBias[m]);
            var last = TLanes.LoadMasked(source + lastRow, keep); // the last row ends before a whole vector would
            if (height >= TColumn.K)
            {
                // the top and bottom rows written out (rows outside the plane as zero vectors, no
                // per-tap tests): M3 per-layer A/B against the generic edge rows 0.91-0.94x per 14x14 pair, 0.75-0.85x per 7x7 pair
                var zero = TLanes.Zero;
                float* bottom = source + lastRow; // the last row: the masked load above
                float* below = target + lastRow;
                if (TColumn.K == 5)
                {
                    TLanes.Store(target, OutputRow<TV, TLanes, TColumn, TRow>(Column5(zero, zero, TLanes.Load(source), TLanes.Load(source + width), TLanes.Load(source + 2 * width), column), keep, row, relu6));
                    TLanes.Store(target + width, OutputRow<TV, TLanes, TColumn, TRow>(Column5(zero, TLanes.Load(source), TLanes.Load(source + width), TLanes.Load(source + 2 * width), TLanes.Load(source + 3 * width), column), keep, row, relu6));
                }
                else
                    TLanes.Store(target, OutputRow<TV, TLanes, TColumn, TRow>(Column3(zero, TLanes.Load(source), TLanes.Load(source + width), column), keep, row, relu6));
                for (int y = pad; y < height - 1 - pad; y++)
                    TLanes.Store(target + y * width, OutputRow<TV, TLanes, TColumn, TRow>(Interior<TV, TLanes, TColumn>(source + (y - pad) * width, width, column), keep, row, relu6));
                if (TColumn.K == 5)
                {
                    TLanes.Store(below - 2 * width, OutputRow<TV, TLanes, TColumn, TRow>(Column5(TLanes.Load(bottom - 4 * width), TLanes.Load(bottom - 3 * width), TLanes.Load(bottom - 2 * width), TLanes.Load(bottom - width), last, column), keep, row, relu6));
                    TLanes.Store(below - width, OutputRow<TV, TLanes, TColumn, TRow>(Column5(TLanes.Load(bottom - 3 * width), TLanes.Load(bottom - 2 * width), TLanes.Load(bottom - width), last, zero, column), keep, row, relu6));
                    TLanes.StoreMasked(below, keep, OutputRow<TV, TLanes, TColumn, TRow>(Column5(TLanes.Load(bottom - 2 * width), TLanes.Load(bottom - width), last, zero, zero, column), keep, row, relu6));
                }
                else
                {
                    TLanes.Store(below - width, OutputRow<TV, TLanes, TColumn, TRow>(Column3(TLanes.Load(bottom - 2 * width), TLanes.Load(bottom - width), last, column), keep, row, relu6));
                    TLanes.StoreMasked(below, keep, OutputRow<TV, TLanes, TColumn, TRow>(Column3(TLanes.Load(bottom - width), last, zero, column), keep, row, relu6));
                }
                continue;
            }
            // planes lower than the kernel: every row an edge row
            for (int y = 0; y < height; y++)
                Store<TV, TLanes>(target + y * width, OutputRow<TV, TLanes, TColumn, TRow>(Edge<TV, TLanes, TColumn>(source, y, height, width, last, column), keep, row, relu6), y == height - 1, keep);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static TV Column5<TV, TLanes>(TV x0, TV x1, TV x2, TV x3, TV x4, BroadcastTaps<TV, TLanes> w) where TV : struct where TLanes : IRowLanes<TV>
    {
        var acc = TLanes.Fma(x0, w.T0, w.Bias);
        acc = TLanes.Fma(x1, w.T1, acc);
        acc = TLanes.Fma(x2, w.T2, acc);
        acc = TLanes.Fma(x3, w.T3, acc);
        return TLanes.Fma(x4, w.T4, acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static TV Column3<TV, TLanes>(TV x0, TV x1, TV x2, BroadcastTaps<TV, TLanes> w) where TV : struct where TLanes : IRowLanes<TV>
    {
        var acc = TLanes.Fma(x0, w.T0, w.Bias);
        acc = TLanes.Fma(x1, w.T1, acc);
        return TLanes.Fma(x2, w.T2, acc);
    }

    /// <summary>The k x 1 conv's output row whose k input rows, starting at <paramref name="top"/>, all lie before the plane's last row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static TV Interior<TV, TLanes, TColumn>(float* top, nint width, BroadcastTaps<TV, TLanes> w)
        where TV : struct where TLanes : IRowLanes<TV> where TColumn : ITapCount
    {
        var acc = TLanes.Fma(TLanes.Load(top), w.T0, w.Bias);
        acc = TLanes.Fma(TLanes.Load(top + width), w.T1, acc);
        acc = TLanes.Fma(TLanes.Load(top + 2 * width), w.T2, acc);
        if (TColumn.K == 5)
        {
            acc = TLanes.Fma(TLanes.Load(top + 3 * width), w.T3, acc);
            acc = TLanes.Fma(TLanes.Load(top + 4 * width), w.T4, acc);
        }
        return acc;
    }

    /// <summary>The k x 1 conv's output row y near the top or bottom: rows outside the plane are zeros, the last row the masked load.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static TV Edge<TV, TLanes, TColumn>(float* source, int y, int height, int width, TV last, BroadcastTaps<TV, TLanes> w)
        where TV : struct where TLanes : IRowLanes<TV> where TColumn : ITapCount
    {
        int top = y - TColumn.K / 2;
        var acc = TLanes.Fma(InputRow<TV, TLanes>(source, top, height, width, last), w.T0, w.Bias);
        acc = TLanes.Fma(InputRow<TV, TLanes>(source, top + 1, height, width, last), w.T1, acc);
        acc = TLanes.Fma(InputRow<TV, TLanes>(source, top + 2, height, width, last), w.T2, acc);
        if (TColumn.K == 5)
        {
            acc = TLanes.Fma(InputRow<TV, TLanes>(source, top + 3, height, width, last), w.T3, acc);
            acc = TLanes.Fma(InputRow<TV, TLanes>(source, top + 4, height, width, last), w.T4, acc);
        }
        return acc;
    }

    /// <summary>One conv's k = 3 or 5 taps and bias, broadcast (T3 and T4 unused for k = 3).</summary>
    private readonly struct BroadcastTaps<TV, TLanes> where TV : struct where TLanes : IRowLanes<TV>
    {
        public readonly TV T0, T1, T2, T3, T4, Bias;

        [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
        public BroadcastTaps(float* taps, int k, float bias)
        {
            T0 = TLanes.Broadcast(taps[0]); T1 = TLanes.Broadcast(taps[1]); T2 = TLanes.Broadcast(taps[2]);
            T3 = k == 5 ? TLanes.Broadcast(taps[3]) : TLanes.Zero;
            T4 = k == 5 ? TLanes.Broadcast(taps[4]) : TLanes.Zero;
            Bias = TLanes.Broadcast(bias);
        }
    }

    /// <summary>The vector operations <see cref="PairRows{TV, TLanes, TColumn, TRow}"/> needs, per vector width (TensorPrimitives-style operator structs).</summary>
    private interface IRowLanes<TV> where TV : struct
    {
        static abstract TV Zero { get; }
        static abstract TV FirstLanes(int count);
        static abstract TV Broadcast(float value);
        static abstract TV Load(float* at);
        static abstract TV LoadMasked(float* at, TV keep);
        static abstract void Store(float* at, TV value);
        static abstract void StoreMasked(float* at, TV keep, TV value);
        static abstract TV Fma(TV x, TV w, TV acc);
        static abstract TV And(TV a, TV b);
        static abstract TV Relu6(TV v);
        /// <summary>Lane x holds lane x - 1 (zero in lane 0).</summary>
        static abstract TV Previous1(TV v);
        /// <summary>Lane x holds lane x - 2 (zeros in lanes 0, 1).</summary>
        static abstract TV Previous2(TV v);
        /// <summary>Lane x holds lane x + 1 (zero in the last lane).</summary>
        static abstract TV Next1(TV v);
        /// <summary>Lane x holds lane x + 2 (zeros in the last two lanes).</summary>
        static abstract TV Next2(TV v);
    }

    /// <summary>Rows of up to 8 floats: 256-bit vectors, lane shifts by AVX-512VL's <c>valignd</c>.</summary>
    private struct Lanes8 : IRowLanes<Vector256<float>>
    {
        public static Vector256<float> Zero => Vector256<float>.Zero;
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector256<float> FirstLanes(int count) => Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(count)).AsSingle();
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector256<float> Broadcast(float value) => Vector256.Create(value);
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector256<float> Load(float* at) => Vector256.Load(at);
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector256<float> LoadMasked(float* at, Vector256<float> keep) => Avx512F.VL.MaskLoad(at, keep, Vector256<float>.Zero);
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Store(float* at, Vector256<float> value) => value.Store(at);
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void StoreMasked(float* at, Vector256<float> keep, Vector256<float> value) => Avx512F.VL.MaskStore(at, keep, value);
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector256<float> Fma(Vector256<float> x, Vector256<float> w, Vector256<float> acc) => Simd.Fma(x, w, acc);
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector256<float> And(Vector256<float> a, Vector256<float> b) => a & b;
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector256<float> Relu6(Vector256<float> v) => Simd.Relu6(v);
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector256<float> Previous1(Vector256<float> v) => Avx512F.VL.AlignRight32(v.AsInt32(), Vector256<int>.Zero, 7).AsSingle();
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector256<float> Previous2(Vector256<float> v) => Avx512F.VL.AlignRight32(v.AsInt32(), Vector256<int>.Zero, 6).AsSingle();
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector256<float> Next1(Vector256<float> v) => Avx512F.VL.AlignRight32(Vector256<int>.Zero, v.AsInt32(), 1).AsSingle();
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector256<float> Next2(Vector256<float> v) => Avx512F.VL.AlignRight32(Vector256<int>.Zero, v.AsInt32(), 2).AsSingle();
    }

    /// <summary>Rows of 9-16 floats: 512-bit vectors.</summary>
    private struct Lanes16 : IRowLanes<Vector512<float>>
    {
        public static Vector512<float> Zero => Vector512<float>.Zero;
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector512<float> FirstLanes(int count) =>
            Vector512.LessThan(Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector512.Create(count)).AsSingle();
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector512<float> Broadcast(float value) => Vector512.Create(value);
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector512<float> Load(float* at) => Vector512.Load(at);
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector512<float> LoadMasked(float* at, Vector512<float> keep) => Avx512F.MaskLoad(at, keep, Vector512<float>.Zero);
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Store(float* at, Vector512<float> value) => value.Store(at);
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void StoreMasked(float* at, Vector512<float> keep, Vector512<float> value) => Avx512F.MaskStore(at, keep, value);
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector512<float> Fma(Vector512<float> x, Vector512<float> w, Vector512<float> acc) => Avx512F.FusedMultiplyAdd(x, w, acc);
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector512<float> And(Vector512<float> a, Vector512<float> b) => a & b;
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector512<float> Relu6(Vector512<float> v) => Simd.Relu6(v);
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector512<float> Previous1(Vector512<float> v) => Avx512F.AlignRight32(v.AsInt32(), Vector512<int>.Zero, 15).AsSingle();
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector512<float> Previous2(Vector512<float> v) => Avx512F.AlignRight32(v.AsInt32(), Vector512<int>.Zero, 14).AsSingle();
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector512<float> Next1(Vector512<float> v) => Avx512F.AlignRight32(Vector512<int>.Zero, v.AsInt32(), 1).AsSingle();
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector512<float> Next2(Vector512<float> v) => Avx512F.AlignRight32(Vector512<int>.Zero, v.AsInt32(), 2).AsSingle();
    }
#endif
}
