// ARM64 variant of Depthwise.PairStride2 (depthwise, or the RGB stem): the k x 1 stride-2 conv's
// output row in registers, eight columns a step, its result split into even and odd columns
// (UZP1 / UZP2), the 1 x k stride-2 conv reading them through EXT (no staging, no intermediate rows, no masks).
using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace MicroNet.Aot.Runtime;

public static unsafe partial class Depthwise
{
    /// <summary>
    /// Whether <see cref="PairStride2VectorsAdvSimd"/> runs this stride-2 pair: ARM64, a depthwise
    /// k x 1 conv (one input plane each) or the stem's dense 3 x 1 conv over three planes, a 1 x k
    /// conv with a channel multiplier of 1 or 2, k = 3 or 5 on both with centred padding, and even
    /// rows of 8 to <see cref="MaxZeroRowFloats"/> floats (one block of eight or more).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool PairStride2VectorsAdvSimdApplies(int columnInputs, int rowMultiplier, int columnK, int columnPad, int rowK, int rowPad, int inWidth) =>
        AdvSimd.Arm64.IsSupported && (columnInputs == 1 || columnInputs == 3 && columnK == 3) && rowMultiplier is 1 or 2 &&
        columnK is 3 or 5 && columnPad == columnK / 2 && rowK is 3 or 5 && rowPad == rowK / 2 &&
        inWidth >= 8 && inWidth % 2 == 0 && inWidth <= MaxZeroRowFloats;

    /// <summary>Widest rows the ARM64 pair kernels take: their zero row (the padding above and below the plane) is on the stack (16 KB).</summary>
    private const int MaxZeroRowFloats = 4096;

    /// <summary>
    /// The stride-2 pair of <see cref="PairStride2"/> on ARM64, output row by output row: the k x 1
    /// conv (stride 2 along H) at eight intermediate columns is k pair loads and 2k FMAs, its
    /// result split into the even and odd columns (<see cref="ColumnPair"/>) (a row outside the plane read from a zero row); the 1 x k
    /// conv (stride 2 along W) at four outputs x takes its taps 2x - 2 .. 2x + 2 from those even and
    /// odd vectors and their neighbours shifted by EXT (zeros left of the row). A row whose length
    /// is not a multiple of 8 ends with a block loaded to end at the row's last column and realigned
    /// by TBL (zeros past the row); the last output vector is stored to end at the row's last
    /// output. With a channel multiplier of 2 both output planes are made from the same
    /// intermediate vectors. Every value is summed as by the two layers apart (bias, then the taps
    /// in order, a tap outside the plane adding a zero product): bit for bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PairStride2VectorsAdvSimd(ref float input, ReadOnlySpan<int> inputPlanes, int columnInputs, nint inPlane, ref float output, nint outPlane,
        float* columnWeights, float* columnBias, int columnK, float* rowWeights, float* rowBias, int rowK, int rowMultiplier,
        int inHeight, int inWidth, int outHeight, int outWidth, bool relu6)
    {
        if (columnInputs == 3)
        {
            // the stem: three input planes per intermediate plane, k = 3
            int middles = inputPlanes.Length / 3, paired = 0;
            if (rowMultiplier == 2 && rowK == 3 && inWidth % 8 == 0 && SameRgbPlanes(inputPlanes))
            {
                // intermediate planes two at a time (an odd count's last three together), every input load shared
                paired = middles >= 3 && middles % 2 == 1 ? middles - 3 : middles & ~1;
                if (relu6) RgbPairStride2PairsAdvSimd<ClampToRelu6>(ref input, inputPlanes, inPlane, ref output, outPlane, columnWeights, columnBias, rowWeights, rowBias, paired, inHeight, inWidth, outHeight, outWidth);
                else RgbPairStride2PairsAdvSimd<NoClamp>(ref input, inputPlanes, inPlane, ref output, outPlane, columnWeights, columnBias, rowWeights, rowBias, paired, inHeight, inWidth, outHeight, outWidth);
                if (middles - paired == 3)
                {
                    nint at = 2 * paired * outPlane;
                    if (relu6) RgbPairStride2TripleAdvSimd<ClampToRelu6>(ref input, inputPlanes, inPlane, ref Unsafe.Add(ref output, at), outPlane,
                        columnWeights + 9 * paired, columnBias + paired, rowWeights + 6 * paired, rowBias + 2 * paired, inHeight, inWidth, outHeight, outWidth);
                    else RgbPairStride2TripleAdvSimd<NoClamp>(ref input, inputPlanes, inPlane, ref Unsafe.Add(ref output, at), outPlane,
                        columnWeights + 9 * paired, columnBias + paired, rowWeights + 6 * paired, rowBias + 2 * paired, inHeight, inWidth, outHeight, outWidth);
                    return;
                }
                if (paired == middles) return;
                // an odd last intermediate plane: the plane-by-plane kernel below
                inputPlanes = inputPlanes.Slice(3 * paired);
                output = ref Unsafe.Add(ref output, 2 * paired * outPlane);
                columnWeights += 9 * paired; columnBias += paired;
                rowWeights += 2 * paired * rowK; rowBias += 2 * paired;
            }
            if (rowMultiplier == 2)
            {
                if (relu6) PairStride2VectorsAdvSimd<ThreeTaps, ThreeInputs, TwoOutputs, ClampToRelu6>(ref input, inputPlanes, inPlane, ref output, outPlane, columnWeights, columnBias, rowWeights, rowBias, rowK, inHeight, inWidth, outHeight, outWidth);
                else PairStride2VectorsAdvSimd<ThreeTaps, ThreeInputs, TwoOutputs, NoClamp>(ref input, inputPlanes, inPlane, ref output, outPlane, columnWeights, columnBias, rowWeights, rowBias, rowK, inHeight, inWidth, outHeight, outWidth);
            }
            else if (relu6) PairStride2VectorsAdvSimd<ThreeTaps, ThreeInputs, OneOutput, ClampToRelu6>(ref input, inputPlanes, inPlane, ref output, outPlane, columnWeights, columnBias, rowWeights, rowBias, rowK, inHeight, inWidth, outHeight, outWidth);
            else PairStride2VectorsAdvSimd<ThreeTaps, ThreeInputs, OneOutput, NoClamp>(ref input, inputPlanes, inPlane, ref output, outPlane, columnWeights, columnBias, rowWeights, rowBias, rowK, inHeight, inWidth, outHeight, outWidth);
            return;
        }
        if (rowMultiplier == 2 && columnK == 3 && rowK == 3 && inWidth % 8 == 0 && PlanesInPairs(inputPlanes))
        {
            // a channel multiplier of 2 on both convs: intermediate planes two at a time, each input load shared
            if (relu6) SharedPairStride2PairsAdvSimd<ClampToRelu6>(ref input, inputPlanes, inPlane, ref output, outPlane, columnWeights, columnBias, rowWeights, rowBias, inHeight, inWidth, outHeight, outWidth);
            else SharedPairStride2PairsAdvSimd<NoClamp>(ref input, inputPlanes, inPlane, ref output, outPlane, columnWeights, columnBias, rowWeights, rowBias, inHeight, inWidth, outHeight, outWidth);
            return;
        }
        if (rowMultiplier == 2)
        {
            if (relu6) PairStride2VectorsAdvSimd<TwoOutputs, ClampToRelu6>(ref input, inputPlanes, inPlane, ref output, outPlane, columnWeights, columnBias, columnK, rowWeights, rowBias, rowK, inHeight, inWidth, outHeight, outWidth);
            else PairStride2VectorsAdvSimd<TwoOutputs, NoClamp>(ref input, inputPlanes, inPlane, ref output, outPlane, columnWeights, columnBias, columnK, rowWeights, rowBias, rowK, inHeight, inWidth, outHeight, outWidth);
        }
        else if (relu6) PairStride2VectorsAdvSimd<OneOutput, ClampToRelu6>(ref input, inputPlanes, inPlane, ref output, outPlane, columnWeights, columnBias, columnK, rowWeights, rowBias, rowK, inHeight, inWidth, outHeight, outWidth);
        else PairStride2VectorsAdvSimd<OneOutput, NoClamp>(ref input, inputPlanes, inPlane, ref output, outPlane, columnWeights, columnBias, columnK, rowWeights, rowBias, rowK, inHeight, inWidth, outHeight, outWidth);
    }

    /// <summary>Whether the depthwise k x 1 conv's intermediate planes come in pairs that read the same input plane (a channel multiplier of 2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool PlanesInPairs(ReadOnlySpan<int> inputPlanes)
    {
        if (inputPlanes.Length % 2 != 0) return false;
        for (int i = 0; i < inputPlanes.Length; i += 2)
            if (inputPlanes[i] != inputPlanes[i + 1]) return false;
        return true;
    }

    /// <summary>
    /// A depthwise stride-2 pair whose k x 1 (k = 3) has a channel multiplier of 2 and whose 1 x 3
    /// has one too (MicroNet's first downsampling pairs): intermediate planes m and m + 1 read the
    /// same input plane, so each of its three input rows of a block of eight columns is loaded
    /// once (one LDP) for both planes' sums, the weights applied by lane from a copy
    /// ([w0, w1, w2, 0] per plane), and the four output planes' 1 x 3 taps and biases likewise. Rows
    /// of a multiple of 8 floats. The sums of the plane-by-plane kernel in its order, bit for bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SharedPairStride2PairsAdvSimd<TClamp>(ref float input, ReadOnlySpan<int> inputPlanes, nint inPlane, ref float output, nint outPlane,
        float* columnWeights, float* columnBias, float* rowWeights, float* rowBias, int inHeight, int inWidth, int outHeight, int outWidth)
        where TClamp : struct, IOutputClamp
    {
        var zero = Vector128<float>.Zero; var six = Vector128.Create(6f); // ReLU6's limits, loaded once
        nint inRowBytes = (nint)inWidth * sizeof(float);
        nint outRowBytes = (nint)outWidth * sizeof(float);
        nint planeBytes = outPlane * sizeof(float);
        float* zeros = stackalloc float[inWidth];
        new Span<float>(zeros, inWidth).Clear();
        float* weights = stackalloc float[8]; // [w0, w1, w2, 0] of planes m and m + 1
        float* taps = stackalloc float[16];   // four output planes' [t0, t1, t2, bias]
        fixed (float* inBase = &input)
        fixed (float* outBase = &output)
        for (int m = 0; m < inputPlanes.Length; m += 2)
        {
            for (int t = 0; t < 3; t++) { weights[t] = columnWeights[m * 3 + t]; weights[4 + t] = columnWeights[(m + 1) * 3 + t]; }
            weights[3] = weights[7] = 0;
            RowTapsByLane(taps, rowWeights + 2 * m * 3, rowBias + 2 * m, 4);
            var wA = Vector128.Load(weights); var wB = Vector128.Load(weights + 4);
            var r0 = Vector128.Load(taps); var r1 = Vector128.Load(taps + 4); var r2 = Vector128.Load(taps + 8); var r3 = Vector128.Load(taps + 12);
            var biasA = Vector128.Create(columnBias[m]); var biasB = Vector128.Create(columnBias[m + 1]);
            byte* source = (byte*)(inBase + inputPlanes[m] * inPlane);
            byte* end = source + inHeight * inRowBytes;
            byte* target = (byte*)(outBase + 2 * m * outPlane);
            byte* top = source - inRowBytes; // input row 2y - 1: tap 0 of intermediate row y
            for (int y = 0; y < outHeight; y++, top += 2 * inRowBytes, target += outRowBytes)
            {
                byte* t0 = top, t1 = top + inRowBytes, t2 = t1 + inRowBytes;
                if (top < source || top + 3 * inRowBytes > end)
                {
                    t0 = RowOrZeros(t0, source, end, zeros); t1 = RowOrZeros(t1, source, end, zeros); t2 = RowOrZeros(t2, source, end, zeros);
                }
                var previousOddA = Vector128<float>.Zero; var previousOddB = Vector128<float>.Zero;
                byte* out0 = target, out1 = target + planeBytes, out2 = target + 2 * planeBytes, out3 = target + 3 * planeBytes;
                for (nint x = 0, o = 0; x < inRowBytes; x += 32, o += 16)
                {
                    var lowA = biasA; var highA = biasA; var lowB = biasB; var highB = biasB;
                    RgbTap(ref lowA, ref highA, ref lowB, ref highB, t0 + x, wA, 0, wB, 0);
                    RgbTap(ref lowA, ref highA, ref lowB, ref highB, t1 + x, wA, 1, wB, 1);
                    RgbTap(ref lowA, ref highA, ref lowB, ref highB, t2 + x, wA, 2, wB, 2);
                    previousOddA = StorePlanePair<TClamp>(lowA, highA, previousOddA, r0, r1, out0 + o, out1 + o, zero, six);
                    previousOddB = StorePlanePair<TClamp>(lowB, highB, previousOddB, r2, r3, out2 + o, out3 + o, zero, six);
                }
            }
        }
    }

    /// <summary>Whether every intermediate plane of the stem reads the same three input planes in the same order (a dense conv over RGB does).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool SameRgbPlanes(ReadOnlySpan<int> inputPlanes)
    {
        for (int i = 3; i < inputPlanes.Length; i++)
            if (inputPlanes[i] != inputPlanes[i - 3]) return false;
        return true;
    }

    /// <summary>
    /// The RGB stem's pair (dense 3 x 1 stride 2 over three planes, then 1 x 3 stride 2 with a
    /// channel multiplier of 2), two intermediate planes at a time: each of the nine input rows
    /// (plane, tap) of a block of eight columns is loaded once (one LDP) for both planes' k x 1
    /// sums, whose weights are applied by lane (FMLA by element) from a copy of the 18 weights, and
    /// the four output planes' 1 x 3 taps and biases likewise ([t0, t1, t2, bias] per plane). Rows of
    /// a multiple of 8 floats (no partial block: the 1 x 3 taps 2x - 1 .. 2x + 1 need no right
    /// neighbour). The sums of the plane-by-plane kernel in its order, bit for bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RgbPairStride2PairsAdvSimd<TClamp>(ref float input, ReadOnlySpan<int> inputPlanes, nint inPlane, ref float output, nint outPlane,
        float* columnWeights, float* columnBias, float* rowWeights, float* rowBias, int middles,
        int inHeight, int inWidth, int outHeight, int outWidth)
        where TClamp : struct, IOutputClamp
    {
        var zero = Vector128<float>.Zero; var six = Vector128.Create(6f); // ReLU6's limits, loaded once
        nint inRowBytes = (nint)inWidth * sizeof(float);
        nint outRowBytes = (nint)outWidth * sizeof(float);
        nint rowEndBytes = inRowBytes; // the blocks cover the row exactly
        float* zeros = stackalloc float[inWidth];
        new Span<float>(zeros, inWidth).Clear();
        float* weights = stackalloc float[20]; // two planes' 3 x 3 column weights, two lanes of padding
        float* taps = stackalloc float[16];    // four output planes' [t0, t1, t2, bias]
        fixed (float* inBase = &input)
        fixed (float* outBase = &output)
        {
            byte* source = (byte*)(inBase + inputPlanes[0] * inPlane);
            byte* end = source + inHeight * inRowBytes;
            nint second = (inputPlanes[1] - inputPlanes[0]) * inPlane * sizeof(float);
            nint third = (inputPlanes[2] - inputPlanes[0]) * inPlane * sizeof(float);
            for (int m = 0; m < middles; m += 2)
            {
                for (int i = 0; i < 18; i++) weights[i] = columnWeights[m * 9 + i];
                weights[18] = weights[19] = 0;
                RowTapsByLane(taps, rowWeights + 2 * m * 3, rowBias + 2 * m, 4);
                var w0 = Vector128.Load(weights); var w1 = Vector128.Load(weights + 4); var w2 = Vector128.Load(weights + 8);
                var w3 = Vector128.Load(weights + 12); var w4 = Vector128.Load(weights + 16);
                var r0 = Vector128.Load(taps); var r1 = Vector128.Load(taps + 4); var r2 = Vector128.Load(taps + 8); var r3 = Vector128.Load(taps + 12);
                var biasA = Vector128.Create(columnBias[m]); var biasB = Vector128.Create(columnBias[m + 1]);
                byte* target = (byte*)(outBase + 2 * m * outPlane);
                nint planeBytes = outPlane * sizeof(float);
                byte* top = source - inRowBytes; // input row 2y - 1: tap 0 of intermediate row y
                for (int y = 0; y < outHeight; y++, top += 2 * inRowBytes, target += outRowBytes)
                {
                    byte* t0 = RowOrZeros(top, source, end, zeros), t1 = RowOrZeros(top + inRowBytes, source, end, zeros), t2 = RowOrZeros(top + 2 * inRowBytes, source, end, zeros);
                    byte* u0 = t0 == (byte*)zeros ? t0 : t0 + second, u1 = t1 == (byte*)zeros ? t1 : t1 + second, u2 = t2 == (byte*)zeros ? t2 : t2 + second;
                    byte* v0 = t0 == (byte*)zeros ? t0 : t0 + third, v1 = t1 == (byte*)zeros ? t1 : t1 + third, v2 = t2 == (byte*)zeros ? t2 : t2 + third;
                    var previousOddA = Vector128<float>.Zero; var previousOddB = Vector128<float>.Zero;
                    byte* out0 = target, out1 = target + planeBytes, out2 = target + 2 * planeBytes, out3 = target + 3 * planeBytes;
                    for (nint x = 0, o = 0; x < rowEndBytes; x += 32, o += 16)
                    {
                        var lowA = biasA; var highA = biasA; var lowB = biasB; var highB = biasB;
                        // (plane, tap) j: plane A's weight j, plane B's weight 9 + j, by lane
                        RgbTap(ref lowA, ref highA, ref lowB, ref highB, t0 + x, w0, 0, w2, 1);
                        RgbTap(ref lowA, ref highA, ref lowB, ref highB, t1 + x, w0, 1, w2, 2);
                        RgbTap(ref lowA, ref highA, ref lowB, ref highB, t2 + x, w0, 2, w2, 3);
                        RgbTap(ref lowA, ref highA, ref lowB, ref highB, u0 + x, w0, 3, w3, 0);
                        RgbTap(ref lowA, ref highA, ref lowB, ref highB, u1 + x, w1, 0, w3, 1);
                        RgbTap(ref lowA, ref highA, ref lowB, ref highB, u2 + x, w1, 1, w3, 2);
                        RgbTap(ref lowA, ref highA, ref lowB, ref highB, v0 + x, w1, 2, w3, 3);
                        RgbTap(ref lowA, ref highA, ref lowB, ref highB, v1 + x, w1, 3, w4, 0);
                        RgbTap(ref lowA, ref highA, ref lowB, ref highB, v2 + x, w2, 0, w4, 1);
                        previousOddA = StorePlanePair<TClamp>(lowA, highA, previousOddA, r0, r1, out0 + o, out1 + o, zero, six);
                        previousOddB = StorePlanePair<TClamp>(lowB, highB, previousOddB, r2, r3, out2 + o, out3 + o, zero, six);
                    }
                }
            }
        }
    }

    /// <summary>
    /// <see cref="RgbPairStride2PairsAdvSimd"/> for three intermediate planes at once (an odd
    /// count's last three: M1's stem has three): each input row loaded once for all three, 27
    /// weights and six output planes' taps by lane. A kernel of its own: folding the third plane
    /// into the two-plane kernel as a type parameter cost that one 0.5 % of M0 (register allocation).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RgbPairStride2TripleAdvSimd<TClamp>(ref float input, ReadOnlySpan<int> inputPlanes, nint inPlane, ref float output, nint outPlane,
        float* columnWeights, float* columnBias, float* rowWeights, float* rowBias, int inHeight, int inWidth, int outHeight, int outWidth)
        where TClamp : struct, IOutputClamp
    {
        var zero = Vector128<float>.Zero; var six = Vector128.Create(6f); // ReLU6's limits, loaded once
        nint inRowBytes = (nint)inWidth * sizeof(float);
        nint outRowBytes = (nint)outWidth * sizeof(float);
        nint planeBytes = outPlane * sizeof(float);
        float* zeros = stackalloc float[inWidth];
        new Span<float>(zeros, inWidth).Clear();
        float* weights = stackalloc float[28]; // three planes' 3 x 3 column weights, one lane of padding
        float* taps = stackalloc float[24];    // six output planes' [t0, t1, t2, bias]
        for (int i = 0; i < 27; i++) weights[i] = columnWeights[i];
        weights[27] = 0;
        RowTapsByLane(taps, rowWeights, rowBias, 6);
        var w0 = Vector128.Load(weights); var w1 = Vector128.Load(weights + 4); var w2 = Vector128.Load(weights + 8);
        var w3 = Vector128.Load(weights + 12); var w4 = Vector128.Load(weights + 16); var w5 = Vector128.Load(weights + 20);
        var w6 = Vector128.Load(weights + 24);
        var r0 = Vector128.Load(taps); var r1 = Vector128.Load(taps + 4); var r2 = Vector128.Load(taps + 8);
        var r3 = Vector128.Load(taps + 12); var r4 = Vector128.Load(taps + 16); var r5 = Vector128.Load(taps + 20);
        var biasA = Vector128.Create(columnBias[0]); var biasB = Vector128.Create(columnBias[1]); var biasC = Vector128.Create(columnBias[2]);
        fixed (float* inBase = &input)
        fixed (float* outBase = &output)
        {
            byte* source = (byte*)(inBase + inputPlanes[0] * inPlane);
            byte* end = source + inHeight * inRowBytes;
            nint second = (inputPlanes[1] - inputPlanes[0]) * inPlane * sizeof(float);
            nint third = (inputPlanes[2] - inputPlanes[0]) * inPlane * sizeof(float);
            byte* target = (byte*)outBase;
            byte* top = source - inRowBytes; // input row 2y - 1: tap 0 of intermediate row y
            for (int y = 0; y < outHeight; y++, top += 2 * inRowBytes, target += outRowBytes)
            {
                byte* t0 = RowOrZeros(top, source, end, zeros), t1 = RowOrZeros(top + inRowBytes, source, end, zeros), t2 = RowOrZeros(top + 2 * inRowBytes, source, end, zeros);
                byte* u0 = t0 == (byte*)zeros ? t0 : t0 + second, u1 = t1 == (byte*)zeros ? t1 : t1 + second, u2 = t2 == (byte*)zeros ? t2 : t2 + second;
                byte* v0 = t0 == (byte*)zeros ? t0 : t0 + third, v1 = t1 == (byte*)zeros ? t1 : t1 + third, v2 = t2 == (byte*)zeros ? t2 : t2 + third;
                var previousOddA = Vector128<float>.Zero; var previousOddB = Vector128<float>.Zero; var previousOddC = Vector128<float>.Zero;
                for (nint x = 0, o = 0; x < inRowBytes; x += 32, o += 16)
                {
                    var lowA = biasA; var highA = biasA; var lowB = biasB; var highB = biasB; var lowC = biasC; var highC = biasC;
                    // (plane, tap) j: plane A's weight j, B's 9 + j, C's 18 + j, by lane
                    RgbTap3(ref lowA, ref highA, ref lowB, ref highB, ref lowC, ref highC, t0 + x, w0, 0, w2, 1, w4, 2);
                    RgbTap3(ref lowA, ref highA, ref lowB, ref highB, ref lowC, ref highC, t1 + x, w0, 1, w2, 2, w4, 3);
                    RgbTap3(ref lowA, ref highA, ref lowB, ref highB, ref lowC, ref highC, t2 + x, w0, 2, w2, 3, w5, 0);
                    RgbTap3(ref lowA, ref highA, ref lowB, ref highB, ref lowC, ref highC, u0 + x, w0, 3, w3, 0, w5, 1);
                    RgbTap3(ref lowA, ref highA, ref lowB, ref highB, ref lowC, ref highC, u1 + x, w1, 0, w3, 1, w5, 2);
                    RgbTap3(ref lowA, ref highA, ref lowB, ref highB, ref lowC, ref highC, u2 + x, w1, 1, w3, 2, w5, 3);
                    RgbTap3(ref lowA, ref highA, ref lowB, ref highB, ref lowC, ref highC, v0 + x, w1, 2, w3, 3, w6, 0);
                    RgbTap3(ref lowA, ref highA, ref lowB, ref highB, ref lowC, ref highC, v1 + x, w1, 3, w4, 0, w6, 1);
                    RgbTap3(ref lowA, ref highA, ref lowB, ref highB, ref lowC, ref highC, v2 + x, w2, 0, w4, 1, w6, 2);
                    previousOddA = StorePlanePair<TClamp>(lowA, highA, previousOddA, r0, r1, target + o, target + planeBytes + o, zero, six);
                    previousOddB = StorePlanePair<TClamp>(lowB, highB, previousOddB, r2, r3, target + 2 * planeBytes + o, target + 3 * planeBytes + o, zero, six);
                    previousOddC = StorePlanePair<TClamp>(lowC, highC, previousOddC, r4, r5, target + 4 * planeBytes + o, target + 5 * planeBytes + o, zero, six);
                }
            }
        }
    }

    /// <summary>One input row of the three-plane stem pass: eight columns (one LDP), FMAs into each plane's sums with its weight by lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void RgbTap3(ref Vector128<float> lowA, ref Vector128<float> highA, ref Vector128<float> lowB, ref Vector128<float> highB,
        ref Vector128<float> lowC, ref Vector128<float> highC, byte* row,
        Vector128<float> weightsA, [System.Diagnostics.CodeAnalysis.ConstantExpected(Max = 3)] byte laneA,
        Vector128<float> weightsB, [System.Diagnostics.CodeAnalysis.ConstantExpected(Max = 3)] byte laneB,
        Vector128<float> weightsC, [System.Diagnostics.CodeAnalysis.ConstantExpected(Max = 3)] byte laneC)
    {
        var low = Vector128.Load((float*)row); var high = Vector128.Load((float*)row + 4);
        lowA = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(lowA, low, weightsA, laneA);
        highA = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(highA, high, weightsA, laneA);
        lowB = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(lowB, low, weightsB, laneB);
        highB = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(highB, high, weightsB, laneB);
        lowC = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(lowC, low, weightsC, laneC);
        highC = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(highC, high, weightsC, laneC);
    }

    /// <summary>One input row of a paired kernel: eight columns (one LDP), FMAs into both intermediate planes' sums with their weights by lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void RgbTap(ref Vector128<float> lowA, ref Vector128<float> highA, ref Vector128<float> lowB, ref Vector128<float> highB, byte* row,
        Vector128<float> weightsA, [System.Diagnostics.CodeAnalysis.ConstantExpected(Max = 3)] byte laneA,
        Vector128<float> weightsB, [System.Diagnostics.CodeAnalysis.ConstantExpected(Max = 3)] byte laneB)
    {
        var low = Vector128.Load((float*)row); var high = Vector128.Load((float*)row + 4);
        lowA = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(lowA, low, weightsA, laneA);
        highA = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(highA, high, weightsA, laneA);
        lowB = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(lowB, low, weightsB, laneB);
        highB = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(highB, high, weightsB, laneB);
    }

    /// <summary>
    /// The end of a paired kernel's block for one intermediate plane: its k x 1 sums over eight
    /// columns (low, high) split into even and odd columns, its two output planes' 1 x 3 stride-2
    /// vectors stored; returns the odd columns (the next block's left neighbour).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector128<float> StorePlanePair<TClamp>(Vector128<float> low, Vector128<float> high, Vector128<float> previousOdd,
        Vector128<float> tapsFirst, Vector128<float> tapsSecond, byte* first, byte* second, Vector128<float> zero, Vector128<float> six)
        where TClamp : struct, IOutputClamp
    {
        var even = AdvSimd.Arm64.UnzipEven(low, high); var odd = AdvSimd.Arm64.UnzipOdd(low, high);
        var left = AdvSimd.ExtractVector128(previousOdd, odd, 3); // column 2x - 1
        Clamp<TClamp>(RowTaps3ByLane(left, even, odd, tapsFirst), zero, six).Store((float*)first);
        Clamp<TClamp>(RowTaps3ByLane(left, even, odd, tapsSecond), zero, six).Store((float*)second);
        return odd;
    }

    /// <summary>A 1 x 3 stride-2 output vector from columns 2x - 1, 2x, 2x + 1 with [t0, t1, t2, bias] in one vector: bias, then the taps in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector128<float> RowTaps3ByLane(Vector128<float> left, Vector128<float> even, Vector128<float> odd, Vector128<float> taps)
    {
        var acc = AdvSimd.DuplicateSelectedScalarToVector128(taps, 3);
        acc = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(acc, left, taps, 0);
        acc = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(acc, even, taps, 1);
        return AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(acc, odd, taps, 2);
    }

    /// <summary>The 1 x k conv's channel multiplier as a type (the output planes per intermediate plane).</summary>
    private interface IRowOutputs { static abstract int Count { get; } }
    private struct OneOutput : IRowOutputs { public static int Count => 1; }
    private struct TwoOutputs : IRowOutputs { public static int Count => 2; }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PairStride2VectorsAdvSimd<TOutputs, TClamp>(ref float input, ReadOnlySpan<int> inputPlanes, nint inPlane, ref float output, nint outPlane,
        float* columnWeights, float* columnBias, int columnK, float* rowWeights, float* rowBias, int rowK,
        int inHeight, int inWidth, int outHeight, int outWidth)
        where TOutputs : struct, IRowOutputs where TClamp : struct, IOutputClamp
    {
        if (columnK == 5) PairStride2VectorsAdvSimd<FiveTaps, OneInput, TOutputs, TClamp>(ref input, inputPlanes, inPlane, ref output, outPlane, columnWeights, columnBias, rowWeights, rowBias, rowK, inHeight, inWidth, outHeight, outWidth);
        else PairStride2VectorsAdvSimd<ThreeTaps, OneInput, TOutputs, TClamp>(ref input, inputPlanes, inPlane, ref output, outPlane, columnWeights, columnBias, rowWeights, rowBias, rowK, inHeight, inWidth, outHeight, outWidth);
    }

    /// <summary>The k x 1 conv's input planes per intermediate plane as a type: 1 (depthwise) or 3 (the stem's dense conv over RGB).</summary>
    private interface IColumnInputs { static abstract int Count { get; } }
    private struct OneInput : IColumnInputs { public static int Count => 1; }
    private struct ThreeInputs : IColumnInputs { public static int Count => 3; }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PairStride2VectorsAdvSimd<TColumn, TInputs, TOutputs, TClamp>(ref float input, ReadOnlySpan<int> inputPlanes, nint inPlane, ref float output, nint outPlane,
        float* columnWeights, float* columnBias, float* rowWeights, float* rowBias, int rowK,
        int inHeight, int inWidth, int outHeight, int outWidth)
        where TColumn : ITapCount where TInputs : struct, IColumnInputs where TOutputs : struct, IRowOutputs where TClamp : struct, IOutputClamp
    {
        if (rowK == 5) PairStride2VectorsAdvSimd<TColumn, FiveTaps, TInputs, TOutputs, TClamp>(ref input, inputPlanes, inPlane, ref output, outPlane, columnWeights, columnBias, rowWeights, rowBias, inHeight, inWidth, outHeight, outWidth);
        else PairStride2VectorsAdvSimd<TColumn, ThreeTaps, TInputs, TOutputs, TClamp>(ref input, inputPlanes, inPlane, ref output, outPlane, columnWeights, columnBias, rowWeights, rowBias, inHeight, inWidth, outHeight, outWidth);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PairStride2VectorsAdvSimd<TColumn, TRow, TInputs, TOutputs, TClamp>(ref float input, ReadOnlySpan<int> inputPlanes, nint inPlane, ref float output, nint outPlane,
        float* columnWeights, float* columnBias, float* rowWeights, float* rowBias, int inHeight, int inWidth, int outHeight, int outWidth)
        where TColumn : ITapCount where TRow : ITapCount where TInputs : struct, IColumnInputs where TOutputs : struct, IRowOutputs where TClamp : struct, IOutputClamp
    {
        var zero = Vector128<float>.Zero; var six = Vector128.Create(6f); // ReLU6's limits, loaded once
        bool rgb = TInputs.Count == 3; // then k = 3: three taps for each of three input planes
        bool two = TOutputs.Count == 2;
        int columnPad = TColumn.K / 2;
        nint blocks = inWidth / 8;                  // whole blocks of eight columns per row
        int rest = inWidth - 8 * (int)blocks;       // columns past them: 0, 2, 4 or 6
        nint inRowBytes = (nint)inWidth * sizeof(float);
        nint outRowBytes = (nint)outWidth * sizeof(float);
        nint lastLoad = (inWidth - 8) * sizeof(float);   // bytes: the partial block's load ends at the row's last column
        nint lastStore = (outWidth - 4) * sizeof(float); // bytes: the last output vector ends at the row's last output
        float* zeros = stackalloc float[inWidth];       // the rows above and below the plane
        new Span<float>(zeros, inWidth).Clear();
        // the partial block's even / odd halves realigned (rest / 2 columns each, zeros past the row);
        // the last output vector stored to end at the row's last output (valid of its lanes inside)
        int partial = rest / 2, valid = rest == 0 ? 4 : partial;
        var (realign, storeLast) = TailLookups(partial, valid);
        fixed (float* inBase = &input)
        fixed (float* outBase = &output)
        for (int m = 0; m < inputPlanes.Length / TInputs.Count; m++)
        {
            byte* source = (byte*)(inBase + inputPlanes[m * TInputs.Count] * inPlane);
            byte* end = source + inHeight * inRowBytes;
            // the stem's second and third input planes (their rows at the same offsets)
            nint second = rgb ? (inputPlanes[m * 3 + 1] - inputPlanes[m * 3]) * inPlane * sizeof(float) : 0;
            nint third = rgb ? (inputPlanes[m * 3 + 2] - inputPlanes[m * 3]) * inPlane * sizeof(float) : 0;
            byte* target = (byte*)(outBase + m * TOutputs.Count * outPlane);
            byte* target2 = target + outPlane * sizeof(float);
            float* cw = columnWeights + m * TInputs.Count * TColumn.K;
            var c0 = Vector128.Create(cw[0]); var c1 = Vector128.Create(cw[1]); var c2 = Vector128.Create(cw[2]);
            var c3 = TColumn.K == 5 || rgb ? Vector128.Create(cw[3]) : default; var c4 = TColumn.K == 5 || rgb ? Vector128.Create(cw[4]) : default;
            var c5 = rgb ? Vector128.Create(cw[5]) : default; var c6 = rgb ? Vector128.Create(cw[6]) : default;
            var c7 = rgb ? Vector128.Create(cw[7]) : default; var c8 = rgb ? Vector128.Create(cw[8]) : default;
            var columnB = Vector128.Create(columnBias[m]);
            var a = new RowTaps<TRow>(rowWeights + m * TOutputs.Count * TRow.K, rowBias[m * TOutputs.Count]);
            var b2 = two ? new RowTaps<TRow>(rowWeights + (m * 2 + 1) * TRow.K, rowBias[m * 2 + 1]) : default;
            byte* top = source - columnPad * inRowBytes; // input row 2y - pad: tap 0 of intermediate row y
            for (int y = 0; y < outHeight; y++, top += 2 * inRowBytes, target += outRowBytes, target2 += outRowBytes)
            {
                byte* t0 = top, t1 = top + inRowBytes, t2 = t1 + inRowBytes;
                byte* t3 = TColumn.K == 5 ? t2 + inRowBytes : null, t4 = TColumn.K == 5 ? t3 + inRowBytes : null;
                if (top < source || top + TColumn.K * inRowBytes > end)
                {
                    // a row near the top or bottom: the input rows outside the plane from the zero row
                    t0 = RowOrZeros(t0, source, end, zeros); t1 = RowOrZeros(t1, source, end, zeros); t2 = RowOrZeros(t2, source, end, zeros);
                    if (TColumn.K == 5) { t3 = RowOrZeros(t3, source, end, zeros); t4 = RowOrZeros(t4, source, end, zeros); }
                }
                // the stem's other two planes: the same rows, or the zero row
                byte* u0 = rgb ? (t0 == (byte*)zeros ? t0 : t0 + second) : null;
                byte* u1 = rgb ? (t1 == (byte*)zeros ? t1 : t1 + second) : null;
                byte* u2 = rgb ? (t2 == (byte*)zeros ? t2 : t2 + second) : null;
                byte* v0 = rgb ? (t0 == (byte*)zeros ? t0 : t0 + third) : null;
                byte* v1 = rgb ? (t1 == (byte*)zeros ? t1 : t1 + third) : null;
                byte* v2 = rgb ? (t2 == (byte*)zeros ? t2 : t2 + third) : null;
                var previousEven = Vector128<float>.Zero; var previousOdd = Vector128<float>.Zero;
                var (even, odd) = Column<TColumn, TInputs>(t0, t1, t2, t3, t4, u0, u1, u2, v0, v1, v2, 0, c0, c1, c2, c3, c4, c5, c6, c7, c8, columnB);
                Vector128<float> nextEven, nextOdd;
                nint block = 0, x = 0; // x: bytes of the current output vector
                for (; block + 1 < blocks; block++, x += 16)
                {
                    (nextEven, nextOdd) = Column<TColumn, TInputs>(t0, t1, t2, t3, t4, u0, u1, u2, v0, v1, v2, (block + 1) * 32, c0, c1, c2, c3, c4, c5, c6, c7, c8, columnB);
                    Clamp<TClamp>(a.Apply(previousEven, previousOdd, even, odd, nextEven), zero, six).Store((float*)(target + x));
                    if (two) Clamp<TClamp>(b2.Apply(previousEven, previousOdd, even, odd, nextEven), zero, six).Store((float*)(target2 + x));
                    previousEven = even; previousOdd = odd;
                    even = nextEven; odd = nextOdd;
                }
                // the last whole block: its right neighbour the realigned partial block, or zeros
                if (rest != 0)
                {
                    (nextEven, nextOdd) = Column<TColumn, TInputs>(t0, t1, t2, t3, t4, u0, u1, u2, v0, v1, v2, lastLoad, c0, c1, c2, c3, c4, c5, c6, c7, c8, columnB);
                    nextEven = AdvSimd.Arm64.VectorTableLookup(nextEven.AsByte(), realign).AsSingle();
                    nextOdd = AdvSimd.Arm64.VectorTableLookup(nextOdd.AsByte(), realign).AsSingle();
                }
                else { nextEven = Vector128<float>.Zero; nextOdd = Vector128<float>.Zero; }
                var before = Clamp<TClamp>(a.Apply(previousEven, previousOdd, even, odd, nextEven), zero, six);
                var before2 = two ? Clamp<TClamp>(b2.Apply(previousEven, previousOdd, even, odd, nextEven), zero, six) : default;
                if (rest == 0)
                {
                    before.Store((float*)(target + x));
                    if (two) before2.Store((float*)(target2 + x));
                    continue;
                }
                before.Store((float*)(target + x));
                if (two) before2.Store((float*)(target2 + x));
                // the partial block's outputs, stored to end at the row's last output (its first
                // lanes repeat the vector before: the same values), nothing past the row written
                var last = Clamp<TClamp>(a.Apply(even, odd, nextEven, nextOdd, Vector128<float>.Zero), zero, six);
                AdvSimd.Arm64.VectorTableLookup((before.AsByte(), last.AsByte()), storeLast).AsSingle().Store((float*)(target + lastStore));
                if (two)
                {
                    var last2 = Clamp<TClamp>(b2.Apply(even, odd, nextEven, nextOdd, Vector128<float>.Zero), zero, six);
                    AdvSimd.Arm64.VectorTableLookup((before2.AsByte(), last2.AsByte()), storeLast).AsSingle().Store((float*)(target2 + lastStore));
                }
            }
        }
    }

    /// <summary>
    /// The k x 1 conv at eight columns split into even and odd: depthwise (<see cref="ColumnPair"/>),
    /// or the stem's over three planes (rows t0..t2 of the first plane, u0..u2 of the second,
    /// v0..v2 of the third): bias, then plane 0's three taps, plane 1's, plane 2's, in order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static (Vector128<float> Even, Vector128<float> Odd) Column<TColumn, TInputs>(byte* t0, byte* t1, byte* t2, byte* t3, byte* t4,
        byte* u0, byte* u1, byte* u2, byte* v0, byte* v1, byte* v2, nint x,
        Vector128<float> c0, Vector128<float> c1, Vector128<float> c2, Vector128<float> c3, Vector128<float> c4,
        Vector128<float> c5, Vector128<float> c6, Vector128<float> c7, Vector128<float> c8, Vector128<float> bias)
        where TColumn : ITapCount where TInputs : struct, IColumnInputs
    {
        if (TInputs.Count == 1) return ColumnPair<TColumn>(t0, t1, t2, t3, t4, x, c0, c1, c2, c3, c4, bias);
        var low = bias; var high = bias;
        Tap(ref low, ref high, t0 + x, c0); Tap(ref low, ref high, t1 + x, c1); Tap(ref low, ref high, t2 + x, c2);
        Tap(ref low, ref high, u0 + x, c3); Tap(ref low, ref high, u1 + x, c4); Tap(ref low, ref high, u2 + x, c5);
        Tap(ref low, ref high, v0 + x, c6); Tap(ref low, ref high, v1 + x, c7); Tap(ref low, ref high, v2 + x, c8);
        return (AdvSimd.Arm64.UnzipEven(low, high), AdvSimd.Arm64.UnzipOdd(low, high));
    }

    /// <summary>
    /// The k x 1 conv at the eight columns <paramref name="x"/> bytes into the k input rows, split
    /// into the even and odd columns: bias, then the k taps in order. The conv runs on the columns
    /// as they lie (two vectors, one LDP per tap) and only its result is split (UZP1 / UZP2): lane
    /// by lane the same FMAs as splitting every input row first, at a third of the instructions.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static (Vector128<float> Even, Vector128<float> Odd) ColumnPair<TColumn>(byte* t0, byte* t1, byte* t2, byte* t3, byte* t4, nint x,
        Vector128<float> c0, Vector128<float> c1, Vector128<float> c2, Vector128<float> c3, Vector128<float> c4, Vector128<float> bias)
        where TColumn : ITapCount
    {
        var low = bias; var high = bias;
        Tap(ref low, ref high, t0 + x, c0);
        Tap(ref low, ref high, t1 + x, c1);
        Tap(ref low, ref high, t2 + x, c2);
        if (TColumn.K == 5)
        {
            Tap(ref low, ref high, t3 + x, c3);
            Tap(ref low, ref high, t4 + x, c4);
        }
        return (AdvSimd.Arm64.UnzipEven(low, high), AdvSimd.Arm64.UnzipOdd(low, high));
    }

    /// <summary>One tap of a k x 1 conv over eight contiguous columns at <paramref name="row"/>: two loads (paired into an LDP), two FMAs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tap(ref Vector128<float> low, ref Vector128<float> high, byte* row, Vector128<float> weight)
    {
        low = AdvSimd.FusedMultiplyAdd(low, Vector128.Load((float*)row), weight);
        high = AdvSimd.FusedMultiplyAdd(high, Vector128.Load((float*)row + 4), weight);
    }

    /// <summary>One output plane's 1 x k stride-2 taps and bias, broadcast.</summary>
    private readonly struct RowTaps<TRow> where TRow : ITapCount
    {
        private readonly Vector128<float> r0, r1, r2, r3, r4, bias;

        [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
        public RowTaps(float* taps, float rowBias)
        {
            r0 = Vector128.Create(taps[0]); r1 = Vector128.Create(taps[1]); r2 = Vector128.Create(taps[2]);
            r3 = TRow.K == 5 ? Vector128.Create(taps[3]) : default; r4 = TRow.K == 5 ? Vector128.Create(taps[4]) : default;
            bias = Vector128.Create(rowBias);
        }

        /// <summary>
        /// Outputs x (four lanes) from the intermediate columns 2x (<paramref name="even"/>) and
        /// 2x + 1 (<paramref name="odd"/>): k = 3 reads 2x - 1, 2x, 2x + 1; k = 5 also 2x - 2 and 2x + 2.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
        public Vector128<float> Apply(Vector128<float> previousEven, Vector128<float> previousOdd, Vector128<float> even, Vector128<float> odd, Vector128<float> nextEven)
        {
            if (TRow.K == 5)
            {
                var acc = AdvSimd.FusedMultiplyAdd(bias, AdvSimd.ExtractVector128(previousEven, even, 3), r0); // column 2x - 2
                acc = AdvSimd.FusedMultiplyAdd(acc, AdvSimd.ExtractVector128(previousOdd, odd, 3), r1);       // 2x - 1
                acc = AdvSimd.FusedMultiplyAdd(acc, even, r2);                                                // 2x
                acc = AdvSimd.FusedMultiplyAdd(acc, odd, r3);                                                 // 2x + 1
                return AdvSimd.FusedMultiplyAdd(acc, AdvSimd.ExtractVector128(even, nextEven, 1), r4);       // 2x + 2
            }
            var sum = AdvSimd.FusedMultiplyAdd(bias, AdvSimd.ExtractVector128(previousOdd, odd, 3), r0);      // 2x - 1
            sum = AdvSimd.FusedMultiplyAdd(sum, even, r1);                                                    // 2x
            return AdvSimd.FusedMultiplyAdd(sum, odd, r2);                                                    // 2x + 1
        }
    }
}
