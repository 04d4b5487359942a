// AVX2 variants of Depthwise.PairStride2: intermediate rows split into even and odd columns in
// registers (vshufps + vpermpd), for rows of 16+ floats (Split, and the stem's RgbSplit) and 8-14 (Narrow).
using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MicroNet.Aot.Runtime;

public static unsafe partial class Depthwise
{
    /// <summary>
    /// Whether <see cref="PairStride2Split"/> (depthwise) or <see cref="RgbPairStride2Split"/> (the
    /// stem, 3 inputs per intermediate plane, k = 3) takes the pair: AVX2, centred k = 3 or 5 on
    /// both convs, input rows of 16+ floats (an even count).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool PairStride2SplitApplies(int columnInputs, int columnK, int columnPad, int rowK, int rowPad, int inHeight, int inWidth, nint inPlane) =>
        Avx2.IsSupported && (columnK == 3 || columnK == 5) && columnPad == columnK / 2 && (rowK == 3 || rowK == 5) && rowPad == rowK / 2 &&
        inWidth >= 16 && inWidth % 2 == 0 && inPlane >= (nint)inHeight * inWidth && (columnInputs == 1 || columnInputs == 3 && columnK == 3);

    /// <summary>Whether <see cref="PairStride2Narrow"/> takes the pair: AVX2, depthwise, centred k = 3 or 5, input rows of 8-14 floats (an even count).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool PairStride2NarrowApplies(int columnInputs, int columnK, int columnPad, int rowK, int rowPad, int inHeight, int inWidth, nint inPlane) =>
        Avx2.IsSupported && columnInputs == 1 && (columnK == 3 || columnK == 5) && columnPad == columnK / 2 && (rowK == 3 || rowK == 5) &&
        rowPad == rowK / 2 && inWidth >= 8 && inWidth < 16 && inWidth % 2 == 0 && inPlane >= (nint)inHeight * inWidth;

    /// <summary>
    /// The AVX2 fused stride-2 pair: each intermediate row is computed 16 columns at a time and
    /// split in registers into its even and odd columns (vshufps + vpermpd), stored into a stack
    /// row [zeros][even][zeros][odd][zeros]; the 1 x k stride-2 output then reads tap d of output
    /// j at even[j + d/2] (d even) or odd[j + (d-1)/2] (d odd), the zeros standing for the padding,
    /// so neither conv masks anything. An intermediate row whose taps leave the input reads a row
    /// of zeros for them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PairStride2Split(ref float input, ReadOnlySpan<int> inputPlanes, nint inPlane, ref float output, nint outPlane,
        float* columnWeights, float* columnBias, int columnK, float* rowWeights, float* rowBias, int rowK,
        int rowMultiplier, int inHeight, int inWidth, int outHeight, bool relu6)
    {
        const int Gap = 8; // zeros before, between and after the even and odd halves
        int outWidth = inWidth / 2, columnPad = columnK / 2;
        nint splitStride = 3 * Gap + 2 * outWidth;
        int length = (int)(PairStride2Rows * splitStride);
        float* split = stackalloc float[2 * length]; // two intermediate planes' blocks (a column multiplier of 2 fills both)
        new Span<float>(split, 2 * length).Clear();
        float* zero = stackalloc float[inWidth];
        new Span<float>(zero, inWidth).Clear();
        // the input rows a block of intermediate rows reads: row y0 + i reads input rows
        // 2(y0 + i) - pad .. 2(y0 + i) - pad + k - 1 (a zero row where outside the plane)
        nint* rows = stackalloc nint[2 * PairStride2Rows + columnK];
        fixed (float* inputStart = &input) // pinned for the row pointers (the arena may be a managed array)
        for (int m = 0; m < inputPlanes.Length; m++)
        {
            float* plane = inputStart + inputPlanes[m] * inPlane;
            float* columnTaps = columnWeights + m * columnK;
            // two intermediate planes of one input plane (the k x 1 conv's channel multiplier, M0-M3's
            // first two downsampling pairs): one pass over the input rows computes both
            int middles = columnK == 3 && m + 1 < inputPlanes.Length && inputPlanes[m + 1] == inputPlanes[m] ? 2 : 1;
            for (int y0 = 0; y0 < outHeight; y0 += PairStride2Rows)
            {
                int r = Math.Min(PairStride2Rows, outHeight - y0);
                int pairs = (r + 1) / 2; // an odd last row's partner is computed into the next split row and not used
                int top = 2 * y0 - columnPad;
                for (int t = 0; t < 4 * pairs + columnK - 2; t++)
                    rows[t] = (uint)(top + t) < (uint)inHeight ? (nint)(plane + (nint)(top + t) * inWidth) : (nint)zero;
                if (middles == 2) SplitColumns3Twice(rows, pairs, columnTaps, columnBias + m, split + Gap, length, splitStride, outWidth + Gap, inWidth);
                else if (columnK == 3) SplitColumns3(rows, pairs, columnTaps, columnBias[m], split + Gap, splitStride, outWidth + Gap, inWidth);
                else SplitColumns5(rows, pairs, columnTaps, columnBias[m], split + Gap, splitStride, outWidth + Gap, inWidth);
                // every output plane of these intermediate planes (the 1 x k conv's channel multiplier) from their split rows
                for (int o = m * rowMultiplier; o < (m + middles) * rowMultiplier; o++)
                {
                    float* even = split + Gap + (o / rowMultiplier - m) * length;
                    ref float dst = ref Unsafe.Add(ref output, o * outPlane + (nint)y0 * outWidth);
                    if (rowK == 3) SplitRows3(even, splitStride, outWidth + Gap, r, ref dst, rowWeights + o * 3, rowBias[o], outWidth, relu6);
                    else SplitRows5(even, splitStride, outWidth + Gap, r, ref dst, rowWeights + o * 5, rowBias[o], outWidth, relu6);
                }
            }
            m += middles - 1;
        }
    }

    /// <summary>
    /// <see cref="PairStride2Split"/> for rows of 8 to 14 floats (an even count: the 14 -> 7
    /// downsampling of every MicroNet): an intermediate row is one block of 16 columns whose second
    /// vector is loaded ending at the row's last column (inside the row, no masked load) and moved
    /// into place by one lane permute of its sums (the taps are per lane, so permuting the sums
    /// equals summing permuted loads, bit for bit), the columns past the row zeroed; its split
    /// halves are 8 wide, the zero after the even half standing for the right padding. Output rows
    /// are one vector each, stored whole (the extra lanes land on the next row, written after it),
    /// except a plane's last row, which goes through a stack vector so nothing past the plane is written.
    /// The taps are written out here as in the wide kernels rather than shared through helper
    /// methods: helpers (with out vectors, or one vector returned) measured 2-16 % slower per layer
    /// on M3's wide pairs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PairStride2Narrow(ref float input, ReadOnlySpan<int> inputPlanes, nint inPlane, ref float output, nint outPlane,
        float* columnWeights, float* columnBias, int columnK, float* rowWeights, float* rowBias, int rowK,
        int rowMultiplier, int inHeight, int inWidth, int outHeight, bool relu6)
    {
        const int Gap = 8; // zeros before, between and after the even and odd halves (8 wide each)
        const nint toOdd = 8 + Gap, splitStride = 3 * Gap + 16;
        int outWidth = inWidth / 2, columnPad = columnK / 2;
        const int length = (int)(PairStride2Rows * splitStride);
        float* split = stackalloc float[length];
        new Span<float>(split, length).Clear();
        float* zero = stackalloc float[16];
        new Span<float>(zero, 16).Clear();
        float* lastRow = stackalloc float[8];
        // the second vector: lane l holds column 8 + l, loaded as lane l + 16 - inWidth of the vector at column inWidth - 8; kept where 8 + l < inWidth
        var lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        var fromLane = Vector256.Min(lanes + Vector256.Create(16 - inWidth), Vector256.Create(7));
        var keep = Vector256.LessThan(lanes, Vector256.Create(inWidth - 8)).AsSingle();
        nint shift = inWidth - 8;
        nint* rows = stackalloc nint[2 * PairStride2Rows + columnK];
        fixed (float* inputStart = &input) // pinned for the row pointers (the arena may be a managed array)
        for (int m = 0; m < inputPlanes.Length; m++)
        {
            float* plane = inputStart + inputPlanes[m] * inPlane;
            float* taps = columnWeights + m * columnK;
            var b = Vector256.Create(columnBias[m]);
            for (int y0 = 0; y0 < outHeight; y0 += PairStride2Rows)
            {
                int r = Math.Min(PairStride2Rows, outHeight - y0);
                int pairs = (r + 1) / 2; // an odd last row's partner is computed into the next split row and not used
                int top = 2 * y0 - columnPad;
                for (int t = 0; t < 4 * pairs + columnK - 2; t++)
                    rows[t] = (uint)(top + t) < (uint)inHeight ? (nint)(plane + (nint)(top + t) * inWidth) : (nint)zero;
                float* even = split + Gap;
                for (int p = 0; p < pairs; p++, even += 2 * splitStride)
                {
                    float* r0 = (float*)rows[4 * p], r1 = (float*)rows[4 * p + 1], r2 = (float*)rows[4 * p + 2], r3 = (float*)rows[4 * p + 3], r4 = (float*)rows[4 * p + 4];
                    Vector256<float> lo0, lo1, hi0, hi1;
                    if (columnK == 3)
                    {
                        var w0 = Vector256.Create(taps[0]); var w1 = Vector256.Create(taps[1]); var w2 = Vector256.Create(taps[2]);
                        var a = Vector256.Load(r2); var c = Vector256.Load(r2 + shift); // the shared row
                        lo0 = Simd.Fma(a, w2, Simd.Fma(Vector256.Load(r1), w1, Simd.Fma(Vector256.Load(r0), w0, b)));
                        hi0 = Simd.Fma(c, w2, Simd.Fma(Vector256.Load(r1 + shift), w1, Simd.Fma(Vector256.Load(r0 + shift), w0, b)));
                        lo1 = Simd.Fma(Vector256.Load(r4), w2, Simd.Fma(Vector256.Load(r3), w1, Simd.Fma(a, w0, b)));
                        hi1 = Simd.Fma(Vector256.Load(r4 + shift), w2, Simd.Fma(Vector256.Load(r3 + shift), w1, Simd.Fma(c, w0, b)));
                    }
                    else
                    {
                        var w0 = Vector256.Create(taps[0]); var w1 = Vector256.Create(taps[1]); var w2 = Vector256.Create(taps[2]);
                        var w3 = Vector256.Create(taps[3]); var w4 = Vector256.Create(taps[4]);
                        float* r5 = (float*)rows[4 * p + 5], r6 = (float*)rows[4 * p + 6];
                        Column5Pair(r0, r1, r2, r3, r4, r5, r6, w0, w1, w2, w3, w4, b, out lo0, out lo1);
                        Column5Pair(r0 + shift, r1 + shift, r2 + shift, r3 + shift, r4 + shift, r5 + shift, r6 + shift, w0, w1, w2, w3, w4, b, out hi0, out hi1);
                    }
                    StoreSplit(lo0, Avx2.PermuteVar8x32(hi0, fromLane) & keep, even, even + toOdd);
                    StoreSplit(lo1, Avx2.PermuteVar8x32(hi1, fromLane) & keep, even + splitStride, even + splitStride + toOdd);
                }
                bool planeEnds = y0 + r == outHeight;
                for (int o = m * rowMultiplier; o < (m + 1) * rowMultiplier; o++)
                {
                    ref float dst = ref Unsafe.Add(ref output, o * outPlane + (nint)y0 * outWidth);
                    float* rowTaps = rowWeights + o * rowK;
                    var w0 = Vector256.Create(rowTaps[0]); var w1 = Vector256.Create(rowTaps[1]); var w2 = Vector256.Create(rowTaps[2]);
                    var w3 = rowK == 5 ? Vector256.Create(rowTaps[3]) : default; var w4 = rowK == 5 ? Vector256.Create(rowTaps[4]) : default;
                    var rowBiasVector = Vector256.Create(rowBias[o]);
                    float* e = split + Gap;
                    for (int i = 0; i < r; i++, e += splitStride)
                    {
                        float* odd = e + toOdd;
                        Vector256<float> acc;
                        if (rowK == 3)
                        {
                            // output j takes odd[j-1], even[j], odd[j]
                            acc = Simd.Fma(Vector256.Load(odd - 1), w0, rowBiasVector);
                            acc = Simd.Fma(Vector256.Load(e), w1, acc);
                            acc = Simd.Fma(Vector256.Load(odd), w2, acc);
                        }
                        else
                        {
                            // output j takes even[j-1], odd[j-1], even[j], odd[j], even[j+1]
                            acc = Simd.Fma(Vector256.Load(e - 1), w0, rowBiasVector);
                            acc = Simd.Fma(Vector256.Load(odd - 1), w1, acc);
                            acc = Simd.Fma(Vector256.Load(e), w2, acc);
                            acc = Simd.Fma(Vector256.Load(odd), w3, acc);
                            acc = Simd.Fma(Vector256.Load(e + 1), w4, acc);
                        }
                        if (relu6) acc = Simd.Relu6(acc);
                        ref float row = ref Unsafe.Add(ref dst, (nint)i * outWidth);
                        if (!planeEnds || i < r - 1)
                        {
                            acc.StoreUnsafe(ref row);
                            continue;
                        }
                        // the plane's last row: outWidth (4..7) floats, as two overlapping 4-float copies
                        acc.Store(lastRow);
                        Vector128.Load(lastRow).StoreUnsafe(ref row);
                        Vector128.Load(lastRow + outWidth - 4).StoreUnsafe(ref row, (nuint)(outWidth - 4));
                    }
                }
            }
        }
    }

    /// <summary>
    /// The stem's pair (a dense 3 x 1 conv over the three RGB planes, then the 1 x k): intermediate
    /// rows two at a time, every intermediate plane of the pair computed before moving down, so the
    /// five input rows of each RGB plane the pair reads stay in L1 for all of them (planes of the
    /// image read once, as by the unfused stem kernel).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RgbPairStride2Split(ref float input, ReadOnlySpan<int> inputPlanes, nint inPlane, ref float output, nint outPlane,
        float* columnWeights, float* columnBias, float* rowWeights, float* rowBias, int rowK,
        int rowMultiplier, int inHeight, int inWidth, int outHeight, bool relu6)
    {
        const int Gap = 8;
        int outWidth = inWidth / 2, middles = inputPlanes.Length / 3;
        nint splitStride = 3 * Gap + 2 * outWidth;
        int length = (int)(2 * splitStride);
        float* split = stackalloc float[length];
        new Span<float>(split, length).Clear();
        float* zero = stackalloc float[inWidth];
        new Span<float>(zero, inWidth).Clear();
        nint* rows = stackalloc nint[15]; // input plane g's rows top .. top + 4 at rows[5g ..]
        fixed (float* inputStart = &input)
        for (int y0 = 0; y0 < outHeight; y0 += 2)
        {
            int r = Math.Min(2, outHeight - y0), top = 2 * y0 - 1;
            for (int m = 0; m < middles; m++)
            {
                for (int g = 0; g < 3; g++)
                {
                    float* plane = inputStart + inputPlanes[3 * m + g] * inPlane;
                    for (int t = 0; t < 5; t++)
                        rows[5 * g + t] = (uint)(top + t) < (uint)inHeight ? (nint)(plane + (nint)(top + t) * inWidth) : (nint)zero;
                }
                SplitRgbColumns3(rows, columnWeights + 9 * m, columnBias[m], split + Gap, splitStride, outWidth + Gap, inWidth);
                for (int o = m * rowMultiplier; o < (m + 1) * rowMultiplier; o++)
                {
                    ref float dst = ref Unsafe.Add(ref output, o * outPlane + (nint)y0 * outWidth);
                    if (rowK == 3) SplitRows3(split + Gap, splitStride, outWidth + Gap, r, ref dst, rowWeights + o * 3, rowBias[o], outWidth, relu6);
                    else SplitRows5(split + Gap, splitStride, outWidth + Gap, r, ref dst, rowWeights + o * 5, rowBias[o], outWidth, relu6);
                }
            }
        }
    }

    /// <summary>
    /// Two consecutive intermediate rows of the stem's dense 3 x 1 stride-2 conv, split: input plane
    /// g's rows at rows[5g .. 5g + 4] (the first row reads 0-2 of each plane, the second 2-4); taps
    /// [plane, tap] at <paramref name="taps"/> (nine), summed plane by plane as the unfused kernel.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SplitRgbColumns3(nint* rows, float* taps, float bias, float* even, nint toNext, nint toOdd, nint width)
    {
        var b = Vector256.Create(bias);
        var w0 = Vector256.Create(taps[0]); var w1 = Vector256.Create(taps[1]); var w2 = Vector256.Create(taps[2]);
        var w3 = Vector256.Create(taps[3]); var w4 = Vector256.Create(taps[4]); var w5 = Vector256.Create(taps[5]);
        var w6 = Vector256.Create(taps[6]); var w7 = Vector256.Create(taps[7]); var w8 = Vector256.Create(taps[8]);
        float* p0 = (float*)rows[0], p1 = (float*)rows[5], p2 = (float*)rows[10]; // each plane's top row
        nint d1 = (nint)((float*)rows[1] - p0), d2 = (nint)((float*)rows[2] - p0), d3 = (nint)((float*)rows[3] - p0), d4 = (nint)((float*)rows[4] - p0);
        nint e1 = (nint)((float*)rows[6] - p1), e2 = (nint)((float*)rows[7] - p1), e3 = (nint)((float*)rows[8] - p1), e4 = (nint)((float*)rows[9] - p1);
        nint f1 = (nint)((float*)rows[11] - p2), f2 = (nint)((float*)rows[12] - p2), f3 = (nint)((float*)rows[13] - p2), f4 = (nint)((float*)rows[14] - p2);
        for (nint x = 0; ; x += 16)
        {
            if (x > width - 16) x = width - 16;
            var lo0 = b; var lo1 = b; var hi0 = b; var hi1 = b;
            // plane by plane: its rows 0-2 feed the first row, 2-4 the second (row 2 loaded once)
            RgbPlaneTaps(p0 + x, d1, d2, d3, d4, w0, w1, w2, ref lo0, ref lo1, ref hi0, ref hi1);
            RgbPlaneTaps(p1 + x, e1, e2, e3, e4, w3, w4, w5, ref lo0, ref lo1, ref hi0, ref hi1);
            RgbPlaneTaps(p2 + x, f1, f2, f3, f4, w6, w7, w8, ref lo0, ref lo1, ref hi0, ref hi1);
            float* at = even + x / 2;
            StoreSplit(lo0, hi0, at, at + toOdd);
            StoreSplit(lo1, hi1, at + toNext, at + toNext + toOdd);
            if (x == width - 16) return;
        }
    }

    /// <summary>One input plane's three taps for 16 columns of two consecutive stride-2 rows (rows at r, r + d1 .. r + d4).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void RgbPlaneTaps(float* r, nint d1, nint d2, nint d3, nint d4, Vector256<float> w0, Vector256<float> w1, Vector256<float> w2,
        ref Vector256<float> lo0, ref Vector256<float> lo1, ref Vector256<float> hi0, ref Vector256<float> hi1)
    {
        var mid = Vector256.Load(r + d2);
        lo0 = Simd.Fma(mid, w2, Simd.Fma(Vector256.Load(r + d1), w1, Simd.Fma(Vector256.Load(r), w0, lo0)));
        lo1 = Simd.Fma(Vector256.Load(r + d4), w2, Simd.Fma(Vector256.Load(r + d3), w1, Simd.Fma(mid, w0, lo1)));
        mid = Vector256.Load(r + d2 + 8);
        hi0 = Simd.Fma(mid, w2, Simd.Fma(Vector256.Load(r + d1 + 8), w1, Simd.Fma(Vector256.Load(r + 8), w0, hi0)));
        hi1 = Simd.Fma(Vector256.Load(r + d4 + 8), w2, Simd.Fma(Vector256.Load(r + d3 + 8), w1, Simd.Fma(mid, w0, hi1)));
    }

    /// <summary>[even columns of a ; even columns of b] and the same for the odd columns, in order (a, b: 16 consecutive floats).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void StoreSplit(Vector256<float> a, Vector256<float> b, float* even, float* odd)
    {
        // vshufps leaves each 128-bit lane as [a0 a2 b0 b2 | a4 a6 b4 b6]; vpermpd 0xD8 puts the 64-bit pairs in order
        Avx2.Permute4x64(Avx.Shuffle(a, b, 0b10_00_10_00).AsDouble(), 0b11_01_10_00).AsSingle().Store(even);
        Avx2.Permute4x64(Avx.Shuffle(a, b, 0b11_01_11_01).AsDouble(), 0b11_01_10_00).AsSingle().Store(odd);
    }

    /// <summary>
    /// Intermediate rows of a 3 x 1 stride-2 conv two at a time, each split into its even and odd
    /// columns: pair p reads input rows rows[4p .. 4p + 4] (its first row 0-2, its second 2-4, each
    /// loaded once); row i's even half goes to even + i * <paramref name="toNext"/>, its odd half
    /// <paramref name="toOdd"/> further.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SplitColumns3(nint* rows, int pairs, float* taps, float bias, float* even, nint toNext, nint toOdd, nint width)
    {
        var w0 = Vector256.Create(taps[0]); var w1 = Vector256.Create(taps[1]); var w2 = Vector256.Create(taps[2]);
        var b = Vector256.Create(bias);
        for (int p = 0; p < pairs; p++, rows += 4, even += 2 * toNext)
        {
            float* r0 = (float*)rows[0], r1 = (float*)rows[1], r2 = (float*)rows[2], r3 = (float*)rows[3], r4 = (float*)rows[4];
            for (nint x = 0; ; x += 16)
            {
                if (x > width - 16) x = width - 16; // the overlapping last block (width is even: x stays even)
                var a = Vector256.Load(r2 + x); var c = Vector256.Load(r2 + x + 8); // the shared row
                var lo0 = Simd.Fma(a, w2, Simd.Fma(Vector256.Load(r1 + x), w1, Simd.Fma(Vector256.Load(r0 + x), w0, b)));
                var hi0 = Simd.Fma(c, w2, Simd.Fma(Vector256.Load(r1 + x + 8), w1, Simd.Fma(Vector256.Load(r0 + x + 8), w0, b)));
                var lo1 = Simd.Fma(Vector256.Load(r4 + x), w2, Simd.Fma(Vector256.Load(r3 + x), w1, Simd.Fma(a, w0, b)));
                var hi1 = Simd.Fma(Vector256.Load(r4 + x + 8), w2, Simd.Fma(Vector256.Load(r3 + x + 8), w1, Simd.Fma(c, w0, b)));
                float* e = even + x / 2;
                StoreSplit(lo0, hi0, e, e + toOdd);
                StoreSplit(lo1, hi1, e + toNext, e + toNext + toOdd);
                if (x == width - 16) break;
            }
        }
    }

    /// <summary>
    /// <see cref="SplitColumns3"/> for two intermediate planes of the same input plane (taps
    /// taps[0..2] and taps[3..5], biases bias[0] and bias[1]; the second plane's split rows
    /// <paramref name="toSecond"/> floats after the first's): each input vector loaded once for both,
    /// each plane summed as by the one-plane loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SplitColumns3Twice(nint* rows, int pairs, float* taps, float* bias, float* even, nint toSecond, nint toNext, nint toOdd, nint width)
    {
        var w0 = Vector256.Create(taps[0]); var w1 = Vector256.Create(taps[1]); var w2 = Vector256.Create(taps[2]);
        var u0 = Vector256.Create(taps[3]); var u1 = Vector256.Create(taps[4]); var u2 = Vector256.Create(taps[5]);
        var b = Vector256.Create(bias[0]); var c = Vector256.Create(bias[1]);
        for (int p = 0; p < pairs; p++, rows += 4, even += 2 * toNext)
        {
            float* r0 = (float*)rows[0], r1 = (float*)rows[1], r2 = (float*)rows[2], r3 = (float*)rows[3], r4 = (float*)rows[4];
            for (nint x = 0; ; x += 16)
            {
                if (x > width - 16) x = width - 16; // the overlapping last block (width is even: x stays even)
                float* e = even + x / 2;
                // the first intermediate row of the pair (input rows 0-2), both planes, then the second (rows 2-4)
                var v0 = Vector256.Load(r0 + x); var v1 = Vector256.Load(r1 + x); var v2 = Vector256.Load(r2 + x);
                var h0 = Vector256.Load(r0 + x + 8); var h1 = Vector256.Load(r1 + x + 8); var h2 = Vector256.Load(r2 + x + 8);
                StoreSplit(Simd.Fma(v2, w2, Simd.Fma(v1, w1, Simd.Fma(v0, w0, b))), Simd.Fma(h2, w2, Simd.Fma(h1, w1, Simd.Fma(h0, w0, b))), e, e + toOdd);
                StoreSplit(Simd.Fma(v2, u2, Simd.Fma(v1, u1, Simd.Fma(v0, u0, c))), Simd.Fma(h2, u2, Simd.Fma(h1, u1, Simd.Fma(h0, u0, c))),
                    e + toSecond, e + toSecond + toOdd);
                var v3 = Vector256.Load(r3 + x); var v4 = Vector256.Load(r4 + x);
                var h3 = Vector256.Load(r3 + x + 8); var h4 = Vector256.Load(r4 + x + 8);
                StoreSplit(Simd.Fma(v4, w2, Simd.Fma(v3, w1, Simd.Fma(v2, w0, b))), Simd.Fma(h4, w2, Simd.Fma(h3, w1, Simd.Fma(h2, w0, b))),
                    e + toNext, e + toNext + toOdd);
                StoreSplit(Simd.Fma(v4, u2, Simd.Fma(v3, u1, Simd.Fma(v2, u0, c))), Simd.Fma(h4, u2, Simd.Fma(h3, u1, Simd.Fma(h2, u0, c))),
                    e + toSecond + toNext, e + toSecond + toNext + toOdd);
                if (x == width - 16) break;
            }
        }
    }

    /// <summary>The 5 x 1 <see cref="SplitColumns3"/>: pair p reads input rows rows[4p .. 4p + 6], its first row 0-4, its second 2-6.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SplitColumns5(nint* rows, int pairs, float* taps, float bias, float* even, nint toNext, nint toOdd, nint width)
    {
        var w0 = Vector256.Create(taps[0]); var w1 = Vector256.Create(taps[1]); var w2 = Vector256.Create(taps[2]);
        var w3 = Vector256.Create(taps[3]); var w4 = Vector256.Create(taps[4]);
        var b = Vector256.Create(bias);
        for (int p = 0; p < pairs; p++, rows += 4, even += 2 * toNext)
        {
            float* r0 = (float*)rows[0], r1 = (float*)rows[1], r2 = (float*)rows[2], r3 = (float*)rows[3], r4 = (float*)rows[4], r5 = (float*)rows[5], r6 = (float*)rows[6];
            for (nint x = 0; ; x += 16)
            {
                if (x > width - 16) x = width - 16;
                Column5Pair(r0 + x, r1 + x, r2 + x, r3 + x, r4 + x, r5 + x, r6 + x, w0, w1, w2, w3, w4, b, out var lo0, out var lo1);
                Column5Pair(r0 + x + 8, r1 + x + 8, r2 + x + 8, r3 + x + 8, r4 + x + 8, r5 + x + 8, r6 + x + 8, w0, w1, w2, w3, w4, b, out var hi0, out var hi1);
                float* e = even + x / 2;
                StoreSplit(lo0, hi0, e, e + toOdd);
                StoreSplit(lo1, hi1, e + toNext, e + toNext + toOdd);
                if (x == width - 16) break;
            }
        }
    }

    /// <summary>One vector of two consecutive 5 x 1 stride-2 rows: first from r0..r4, second from r2..r6 (r2..r4 loaded once).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Column5Pair(float* r0, float* r1, float* r2, float* r3, float* r4, float* r5, float* r6,
        Vector256<float> w0, Vector256<float> w1, Vector256<float> w2, Vector256<float> w3, Vector256<float> w4, Vector256<float> b,
        out Vector256<float> first, out Vector256<float> second)
    {
        var v2 = Vector256.Load(r2); var v3 = Vector256.Load(r3); var v4 = Vector256.Load(r4);
        first = Simd.Fma(Vector256.Load(r0), w0, b);
        second = Simd.Fma(v2, w0, b);
        first = Simd.Fma(Vector256.Load(r1), w1, first);
        second = Simd.Fma(v3, w1, second);
        first = Simd.Fma(v2, w2, first);
        second = Simd.Fma(v4, w2, second);
        first = Simd.Fma(v3, w3, first);
        second = Simd.Fma(Vector256.Load(r5), w3, second);
        first = Simd.Fma(v4, w4, first);
        second = Simd.Fma(Vector256.Load(r6), w4, second);
    }

    /// <summary>
    /// <paramref name="rows"/> output rows of a 1 x 3 stride-2 conv (pad 1) over split rows (row i's
    /// even half at even + i * <paramref name="toNext"/>, its odd half <paramref name="toOdd"/>
    /// further): output j takes odd[j-1], even[j], odd[j].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SplitRows3(float* even, nint toNext, nint toOdd, int rows, ref float dst, float* taps, float bias, nint outWidth, bool relu6)
    {
        var w0 = Vector256.Create(taps[0]); var w1 = Vector256.Create(taps[1]); var w2 = Vector256.Create(taps[2]);
        var b = Vector256.Create(bias);
        for (int i = 0; i < rows; i++, even += toNext, dst = ref Unsafe.Add(ref dst, outWidth))
        {
            float* odd = even + toOdd;
            for (nint j = 0; ; j += 8)
            {
                if (j > outWidth - 8) j = outWidth - 8;
                var acc = Simd.Fma(Vector256.Load(odd + j - 1), w0, b);
                acc = Simd.Fma(Vector256.Load(even + j), w1, acc);
                acc = Simd.Fma(Vector256.Load(odd + j), w2, acc);
                if (relu6) acc = Simd.Relu6(acc);
                acc.StoreUnsafe(ref dst, (nuint)j);
                if (j == outWidth - 8) break;
            }
        }
    }

    /// <summary>The 1 x 5 (pad 2) <see cref="SplitRows3"/>: output j takes even[j-1], odd[j-1], even[j], odd[j], even[j+1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SplitRows5(float* even, nint toNext, nint toOdd, int rows, ref float dst, float* taps, float bias, nint outWidth, bool relu6)
    {
        var w0 = Vector256.Create(taps[0]); var w1 = Vector256.Create(taps[1]); var w2 = Vector256.Create(taps[2]);
        var w3 = Vector256.Create(taps[3]); var w4 = Vector256.Create(taps[4]);
        var b = Vector256.Create(bias);
        for (int i = 0; i < rows; i++, even += toNext, dst = ref Unsafe.Add(ref dst, outWidth))
        {
            float* odd = even + toOdd;
            for (nint j = 0; ; j += 8)
            {
                if (j > outWidth - 8) j = outWidth - 8;
                var acc = Simd.Fma(Vector256.Load(even + j - 1), w0, b);
                acc = Simd.Fma(Vector256.Load(odd + j - 1), w1, acc);
                acc = Simd.Fma(Vector256.Load(even + j), w2, acc);
                acc = Simd.Fma(Vector256.Load(odd + j), w3, acc);
                acc = Simd.Fma(Vector256.Load(even + j + 1), w4, acc);
                if (relu6) acc = Simd.Relu6(acc);
                acc.StoreUnsafe(ref dst, (nuint)j);
                if (j == outWidth - 8) break;
            }
        }
    }
}
