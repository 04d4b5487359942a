// ARM64 variant of Depthwise.Pair: the k x 1 conv's output row in registers, a vector at a time,
// the 1 x k conv reading it through EXT lane shifts (no intermediate plane, no staging copy, no
// per-tap masks).
using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace MicroNet.Aot.Runtime;

public static unsafe partial class Depthwise
{
    /// <summary>
    /// Whether <see cref="PairVectorsAdvSimd"/> runs this stride-1 pair: ARM64, k = 3 or 5 on both
    /// convs with centred padding, rows of 5 to <see cref="MaxZeroRowFloats"/> floats (two vectors or
    /// more: the last vector is realigned from a load that ends at the row's end; the zero row is on the stack).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool PairVectorsAdvSimdApplies(int columnK, int columnPad, int rowK, int rowPad, int width) =>
        AdvSimd.Arm64.IsSupported &&
        columnK is 3 or 5 && columnPad == columnK / 2 && rowK is 3 or 5 && rowPad == rowK / 2 && width >= 5 && width <= MaxZeroRowFloats;

    /// <summary>
    /// The stride-1 pair of <see cref="Pair"/> on ARM64, two rows at a time and vector by vector: the k x 1
    /// conv's output at four columns is k FMAs over the input rows (a row outside the plane read
    /// from a zero row), kept in a register; the 1 x k conv at those columns takes its taps from
    /// that vector and its neighbours shifted by EXT (a zero vector left of the row; right of it the
    /// row's last vector, loaded to end at the row's last column and realigned by TBL with zeros in
    /// the lanes past the row). A window of three column vectors slides along the row; the last
    /// output vector is stored to end at the row's last column (TBL over the last two), so nothing
    /// is read or written outside the planes. Every value is summed as by the two layers apart
    /// (bias, then taps in order, a tap outside the plane adding a zero product): bit for bit.
    /// Replaces the staged plane-by-plane path (copy, flat k x 1 loop, masked flat 1 x k loop).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PairVectorsAdvSimd(ref float input, ReadOnlySpan<int> inputPlanes, nint inPlane, ref float output, nint outPlane,
        float* columnWeights, float* columnBias, int columnK, float* rowWeights, float* rowBias, int rowK, int height, int width, bool relu6)
    {
        if (columnK == 5)
        {
            if (rowK == 5) PairVectorsAdvSimd<FiveTaps, FiveTaps>(ref input, inputPlanes, inPlane, ref output, outPlane, columnWeights, columnBias, rowWeights, rowBias, height, width, relu6);
            else PairVectorsAdvSimd<FiveTaps, ThreeTaps>(ref input, inputPlanes, inPlane, ref output, outPlane, columnWeights, columnBias, rowWeights, rowBias, height, width, relu6);
        }
        else if (rowK == 5) PairVectorsAdvSimd<ThreeTaps, FiveTaps>(ref input, inputPlanes, inPlane, ref output, outPlane, columnWeights, columnBias, rowWeights, rowBias, height, width, relu6);
        else PairVectorsAdvSimd<ThreeTaps, ThreeTaps>(ref input, inputPlanes, inPlane, ref output, outPlane, columnWeights, columnBias, rowWeights, rowBias, height, width, relu6);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PairVectorsAdvSimd<TColumn, TRow>(ref float input, ReadOnlySpan<int> inputPlanes, nint inPlane, ref float output, nint outPlane,
        float* columnWeights, float* columnBias, float* rowWeights, float* rowBias, int height, int width, bool relu6)
        where TColumn : ITapCount where TRow : ITapCount
    {
        if (relu6) PairVectorsAdvSimd<TColumn, TRow, ClampToRelu6>(ref input, inputPlanes, inPlane, ref output, outPlane, columnWeights, columnBias, rowWeights, rowBias, height, width);
        else PairVectorsAdvSimd<TColumn, TRow, NoClamp>(ref input, inputPlanes, inPlane, ref output, outPlane, columnWeights, columnBias, rowWeights, rowBias, height, width);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PairVectorsAdvSimd<TColumn, TRow, TClamp>(ref float input, ReadOnlySpan<int> inputPlanes, nint inPlane, ref float output, nint outPlane,
        float* columnWeights, float* columnBias, float* rowWeights, float* rowBias, int height, int width)
        where TColumn : ITapCount where TRow : ITapCount where TClamp : struct, IOutputClamp
    {
        var zero = Vector128<float>.Zero; var six = Vector128.Create(6f); // ReLU6's limits, loaded once
        int columnPad = TColumn.K / 2;
        nint vectors = (width + 3) / 4;            // column vectors per row, the last one partial
        int valid = width - 4 * ((int)vectors - 1); // its columns inside the row: 1-4
        nint lastLoad = (width - 4) * sizeof(float); // bytes: the last vector's load ends at the row's last column
        nint bodyEnd = (vectors - 2) * 16;         // bytes: the vectors whose right neighbour is a whole vector end here
        nint rowBytes = (nint)width * sizeof(float);
        float* zeros = stackalloc float[width];    // the rows above and below the plane
        new Span<float>(zeros, width).Clear();
        // the last vector: its load realigned (zeros past the row), its store ending at the row's end
        var (realign, storeLast) = TailLookups(valid, valid);
        fixed (float* inBase = &input)
        fixed (float* outBase = &output)
        for (int m = 0; m < inputPlanes.Length; m++)
        {
            byte* source = (byte*)(inBase + inputPlanes[m] * inPlane);
            byte* dst = (byte*)(outBase + m * outPlane);
            float* cw = columnWeights + m * TColumn.K, rw = rowWeights + m * TRow.K;
            var c0 = Vector128.Create(cw[0]); var c1 = Vector128.Create(cw[1]); var c2 = Vector128.Create(cw[2]);
            var c3 = TColumn.K == 5 ? Vector128.Create(cw[3]) : default; var c4 = TColumn.K == 5 ? Vector128.Create(cw[4]) : default;
            var r0 = Vector128.Create(rw[0]); var r1 = Vector128.Create(rw[1]); var r2 = Vector128.Create(rw[2]);
            var r3 = TRow.K == 5 ? Vector128.Create(rw[3]) : default; var r4 = TRow.K == 5 ? Vector128.Create(rw[4]) : default;
            var columnB = Vector128.Create(columnBias[m]);
            var rowB = Vector128.Create(rowBias[m]);
            byte* end = source + height * rowBytes;
            byte* top = source - columnPad * rowBytes; // input row y - pad: tap 0 of output row y
            int y = 0;
            for (; y + 1 < height; y += 2, top += 2 * rowBytes, dst += 2 * rowBytes)
            {
                // two output rows at a time: their k x 1 convs share k - 1 of their k + 1 input rows,
                // each loaded once for both (k + 1 loads per two column vectors instead of 2k)
                byte* t0 = top, t1 = top + rowBytes, t2 = t1 + rowBytes, t3 = t2 + rowBytes;
                byte* t4 = TColumn.K == 5 ? t3 + rowBytes : null, t5 = TColumn.K == 5 ? t4 + rowBytes : null;
                if (top < source || top + (TColumn.K + 1) * rowBytes > end)
                {
                    // a pair of rows near the top or bottom: the rows outside the plane from the zero row
                    t0 = RowOrZeros(t0, source, end, zeros); t1 = RowOrZeros(t1, source, end, zeros);
                    t2 = RowOrZeros(t2, source, end, zeros); t3 = RowOrZeros(t3, source, end, zeros);
                    if (TColumn.K == 5) { t4 = RowOrZeros(t4, source, end, zeros); t5 = RowOrZeros(t5, source, end, zeros); }
                }
                byte* below = dst + rowBytes;
                var previousA = Vector128<float>.Zero; var previousB = Vector128<float>.Zero;
                var (currentA, currentB) = ColumnVectors<TColumn>(t0, t1, t2, t3, t4, t5, 0, c0, c1, c2, c3, c4, columnB);
                nint x = 0;
                for (; x < bodyEnd; x += 16)
                {
                    var (nextA, nextB) = ColumnVectors<TColumn>(t0, t1, t2, t3, t4, t5, x + 16, c0, c1, c2, c3, c4, columnB);
                    Clamp<TClamp>(RowVector<TRow>(previousA, currentA, nextA, r0, r1, r2, r3, r4, rowB), zero, six).Store((float*)(dst + x));
                    Clamp<TClamp>(RowVector<TRow>(previousB, currentB, nextB, r0, r1, r2, r3, r4, rowB), zero, six).Store((float*)(below + x));
                    previousA = currentA; currentA = nextA;
                    previousB = currentB; currentB = nextB;
                }
                var (lastA, lastB) = ColumnVectors<TColumn>(t0, t1, t2, t3, t4, t5, lastLoad, c0, c1, c2, c3, c4, columnB);
                lastA = AdvSimd.Arm64.VectorTableLookup(lastA.AsByte(), realign).AsSingle();
                lastB = AdvSimd.Arm64.VectorTableLookup(lastB.AsByte(), realign).AsSingle();
                var beforeA = Clamp<TClamp>(RowVector<TRow>(previousA, currentA, lastA, r0, r1, r2, r3, r4, rowB), zero, six);
                var beforeB = Clamp<TClamp>(RowVector<TRow>(previousB, currentB, lastB, r0, r1, r2, r3, r4, rowB), zero, six);
                beforeA.Store((float*)(dst + x));
                beforeB.Store((float*)(below + x));
                var finalA = Clamp<TClamp>(RowVector<TRow>(currentA, lastA, Vector128<float>.Zero, r0, r1, r2, r3, r4, rowB), zero, six);
                var finalB = Clamp<TClamp>(RowVector<TRow>(currentB, lastB, Vector128<float>.Zero, r0, r1, r2, r3, r4, rowB), zero, six);
                AdvSimd.Arm64.VectorTableLookup((beforeA.AsByte(), finalA.AsByte()), storeLast).AsSingle().Store((float*)(dst + lastLoad));
                AdvSimd.Arm64.VectorTableLookup((beforeB.AsByte(), finalB.AsByte()), storeLast).AsSingle().Store((float*)(below + lastLoad));
            }
            for (; y < height; y++, top += rowBytes, dst += rowBytes)
            {
                // the k input rows of output row y, a row outside the plane read from the zero row
                byte* t0 = RowOrZeros(top, source, end, zeros);
                byte* t1 = RowOrZeros(top + rowBytes, source, end, zeros);
                byte* t2 = RowOrZeros(top + 2 * rowBytes, source, end, zeros);
                byte* t3 = TColumn.K == 5 ? RowOrZeros(top + 3 * rowBytes, source, end, zeros) : null;
                byte* t4 = TColumn.K == 5 ? RowOrZeros(top + 4 * rowBytes, source, end, zeros) : null;
                var previous = Vector128<float>.Zero;
                var current = ColumnVector<TColumn>(t0, t1, t2, t3, t4, 0, c0, c1, c2, c3, c4, columnB);
                nint x = 0; // bytes: the current vector's first column
                for (; x < bodyEnd; x += 16)
                {
                    var next = ColumnVector<TColumn>(t0, t1, t2, t3, t4, x + 16, c0, c1, c2, c3, c4, columnB);
                    Clamp<TClamp>(RowVector<TRow>(previous, current, next, r0, r1, r2, r3, r4, rowB), zero, six).Store((float*)(dst + x));
                    previous = current;
                    current = next;
                }
                // the vector before the last (its right neighbour the realigned last), then the last
                var last = AdvSimd.Arm64.VectorTableLookup(ColumnVector<TColumn>(t0, t1, t2, t3, t4, lastLoad, c0, c1, c2, c3, c4, columnB).AsByte(), realign).AsSingle();
                var before = Clamp<TClamp>(RowVector<TRow>(previous, current, last, r0, r1, r2, r3, r4, rowB), zero, six);
                before.Store((float*)(dst + x));
                var final = Clamp<TClamp>(RowVector<TRow>(current, last, Vector128<float>.Zero, r0, r1, r2, r3, r4, rowB), zero, six);
                // stored to end at the row's last column: its first lanes repeat the vector before
                // (the same values), so nothing past the row is written
                AdvSimd.Arm64.VectorTableLookup((before.AsByte(), final.AsByte()), storeLast).AsSingle().Store((float*)(dst + lastLoad));
            }
        }
    }

    /// <summary>
    /// The TBL indices (bytes) of a row's last vector. Realign: lane i below
    /// <paramref name="realignLanes"/> takes lane 4 - realignLanes + i of a load that ends at the
    /// row's last column, the others 0xFF (TBL writes a zero: the columns past the row). Store: lane j
    /// of the vector stored to end at the row's last column is lane storeLanes + j of (the output
    /// vector before the last, the last one).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static (Vector128<byte> Realign, Vector128<byte> StoreLast) TailLookups(int realignLanes, int storeLanes)
    {
        byte* indices = stackalloc byte[32];
        for (int lane = 0; lane < 4; lane++)
            for (int b = 0; b < 4; b++)
            {
                indices[4 * lane + b] = lane < realignLanes ? (byte)(4 * (4 - realignLanes + lane) + b) : (byte)0xFF;
                indices[16 + 4 * lane + b] = (byte)(4 * (storeLanes + lane) + b);
            }
        return (Vector128.Load(indices), Vector128.Load(indices + 16));
    }

    /// <summary>[t0, t1, t2, bias] of <paramref name="planes"/> output planes of a 1 x 3 conv, one vector each, for applying by lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowTapsByLane(float* taps, float* rowWeights, float* rowBias, int planes)
    {
        for (int o = 0; o < planes; o++)
        {
            taps[4 * o] = rowWeights[o * 3]; taps[4 * o + 1] = rowWeights[o * 3 + 1];
            taps[4 * o + 2] = rowWeights[o * 3 + 2]; taps[4 * o + 3] = rowBias[o];
        }
    }

    /// <summary><paramref name="row"/> where it lies in the plane [source, end), else the zero row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static byte* RowOrZeros(byte* row, byte* source, byte* end, float* zeros) => row >= source && row < end ? row : (byte*)zeros;

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector128<float> Clamp<TClamp>(Vector128<float> v, Vector128<float> zero, Vector128<float> six) where TClamp : struct, IOutputClamp =>
        TClamp.Relu6 ? AdvSimd.Min(AdvSimd.Max(v, zero), six) : v; // ReLU6 with the limits in registers (Simd.Relu6 rematerializes them per vector)

    /// <summary>The k x 1 conv at the four columns <paramref name="x"/> bytes into the k input rows: bias, then the k taps in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector128<float> ColumnVector<TColumn>(byte* t0, byte* t1, byte* t2, byte* t3, byte* t4, nint x,
        Vector128<float> c0, Vector128<float> c1, Vector128<float> c2, Vector128<float> c3, Vector128<float> c4, Vector128<float> bias)
        where TColumn : ITapCount
    {
        var acc = AdvSimd.FusedMultiplyAdd(bias, Vector128.Load((float*)(t0 + x)), c0);
        acc = AdvSimd.FusedMultiplyAdd(acc, Vector128.Load((float*)(t1 + x)), c1);
        acc = AdvSimd.FusedMultiplyAdd(acc, Vector128.Load((float*)(t2 + x)), c2);
        if (TColumn.K == 5)
        {
            acc = AdvSimd.FusedMultiplyAdd(acc, Vector128.Load((float*)(t3 + x)), c3);
            acc = AdvSimd.FusedMultiplyAdd(acc, Vector128.Load((float*)(t4 + x)), c4);
        }
        return acc;
    }

    /// <summary>
    /// The k x 1 conv of two consecutive output rows at the four columns <paramref name="x"/> bytes
    /// in: row A reads input rows t0..t(k-1), row B t1..tk; each loaded once. Per row: bias, then
    /// the k taps in order (the sums of <see cref="ColumnVector"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static (Vector128<float> A, Vector128<float> B) ColumnVectors<TColumn>(byte* t0, byte* t1, byte* t2, byte* t3, byte* t4, byte* t5, nint x,
        Vector128<float> c0, Vector128<float> c1, Vector128<float> c2, Vector128<float> c3, Vector128<float> c4, Vector128<float> bias)
        where TColumn : ITapCount
    {
        var v = Vector128.Load((float*)(t0 + x));
        var a = AdvSimd.FusedMultiplyAdd(bias, v, c0);
        v = Vector128.Load((float*)(t1 + x));
        a = AdvSimd.FusedMultiplyAdd(a, v, c1); var b = AdvSimd.FusedMultiplyAdd(bias, v, c0);
        v = Vector128.Load((float*)(t2 + x));
        a = AdvSimd.FusedMultiplyAdd(a, v, c2); b = AdvSimd.FusedMultiplyAdd(b, v, c1);
        v = Vector128.Load((float*)(t3 + x));
        if (TColumn.K == 3) return (a, AdvSimd.FusedMultiplyAdd(b, v, c2));
        a = AdvSimd.FusedMultiplyAdd(a, v, c3); b = AdvSimd.FusedMultiplyAdd(b, v, c2);
        v = Vector128.Load((float*)(t4 + x));
        a = AdvSimd.FusedMultiplyAdd(a, v, c4); b = AdvSimd.FusedMultiplyAdd(b, v, c3);
        v = Vector128.Load((float*)(t5 + x));
        return (a, AdvSimd.FusedMultiplyAdd(b, v, c4));
    }

    /// <summary>The 1 x k conv at the four columns of <paramref name="current"/>, its neighbours shifted in by EXT: bias, then the k taps in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector128<float> RowVector<TRow>(Vector128<float> previous, Vector128<float> current, Vector128<float> next,
        Vector128<float> r0, Vector128<float> r1, Vector128<float> r2, Vector128<float> r3, Vector128<float> r4, Vector128<float> bias)
        where TRow : ITapCount
    {
        if (TRow.K == 5)
        {
            var acc = AdvSimd.FusedMultiplyAdd(bias, AdvSimd.ExtractVector128(previous, current, 2), r0); // column x - 2
            acc = AdvSimd.FusedMultiplyAdd(acc, AdvSimd.ExtractVector128(previous, current, 3), r1);      // x - 1
            acc = AdvSimd.FusedMultiplyAdd(acc, current, r2);                                               // x
            acc = AdvSimd.FusedMultiplyAdd(acc, AdvSimd.ExtractVector128(current, next, 1), r3);          // x + 1
            return AdvSimd.FusedMultiplyAdd(acc, AdvSimd.ExtractVector128(current, next, 2), r4);         // x + 2
        }
        var sum = AdvSimd.FusedMultiplyAdd(bias, AdvSimd.ExtractVector128(previous, current, 3), r0);
        sum = AdvSimd.FusedMultiplyAdd(sum, current, r1);
        return AdvSimd.FusedMultiplyAdd(sum, AdvSimd.ExtractVector128(current, next, 1), r2);
    }
}
