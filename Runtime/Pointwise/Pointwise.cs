using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MicroNet.Aot.Runtime;

/// <summary>
/// The 1x1 group convolution, register-blocked: four output channels at a time over a tile of
/// positions, every input channel of the group read once per tile and shared by the four
/// accumulators (instead of one read-modify-write pass of the output plane per input channel).
/// </summary>
/// <remarks>Called by the generated model classes; not a user API (hidden from IntelliSense), and its signatures may change between versions.</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static unsafe partial class Pointwise
{
    /// <summary>Most inputs per output whose plane offsets the ARM64 blocks keep on the stack (8 KB); wider groups take the four-output blocks.</summary>
    private const int MaxOffsetTable = 1024;

    /// <summary>
    /// For o in [0, outputs): output[o*n + p] = bias[o] + sum_i weights[o*inputsPerOutput + i] * input[planes[i]*n + p].
    /// <paramref name="planes"/> are the arena planes of the group's input channels (channel maps applied).
    /// </summary>
    /// <remarks>With <paramref name="relu6"/> the outputs are clamped to [0, 6] as they are stored (a fused ReLU6).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GroupConv(ref float input, ReadOnlySpan<int> planes, ref float output, float* weights, float* bias, int outputs, nint n, bool relu6 = false)
    {
        int inputsPerOutput = planes.Length;
        int o = 0;
        if (Blocks16Applies(outputs, n))
        {
            // AVX-512: 8, 10 or 12 outputs x one 512-bit vector of positions
            Blocks16(ref input, planes, ref output, weights, bias, outputs, n, relu6);
            return;
        }
        if (Vector256.IsHardwareAccelerated && n >= 8 && outputs >= 8 && (n < 64 || n < 256 && inputsPerOutput <= 16))
        {
            // small planes: eight outputs over tiles of 8 positions, so a 7x7 plane costs 56
            // positions instead of the 64 of 16-position tiles, and a 14x14 plane 200 instead of
            // 216. On 14x14 only with few inputs per output, where the tile's fixed cost (bias,
            // stores, the overlapping last tile) weighs most; with many, its 9 loads per 8 FMAs
            // lose to the 4 x 3 block's 7 per 12 (A/B per layer on M3: 0.89-0.95x with 4-8 inputs,
            // 1.01-1.05x with 24-60)
            for (; o + 8 <= outputs; o += 8)
                Block8(ref input, planes, ref Unsafe.Add(ref output, o * n), weights + o * inputsPerOutput, bias + o, n, relu6);
            if (o == outputs) return;
            // the last 1-7 outputs: a block of four or eight overlapping the previous one (its first outputs recomputed exactly)
            if (outputs - o <= 4)
            {
                o = outputs - 4;
                Block4(ref input, planes, ref Unsafe.Add(ref output, o * n), weights + o * inputsPerOutput, bias + o, n, relu6);
            }
            else
            {
                o = outputs - 8;
                Block8(ref input, planes, ref Unsafe.Add(ref output, o * n), weights + o * inputsPerOutput, bias + o, n, relu6);
            }
            return;
        }
        if (Vector256.IsHardwareAccelerated && n >= 16 && outputs % 4 != 0 && (outputs % 6 == 0 || outputs % 5 == 0))
        {
            // 6 or 10 outputs per group (M3's 28x28 and 14x14 projections): blocks of four would
            // compute 8 or 12 (the overlapping last block); blocks of six or five outputs x two
            // vectors compute exactly the group's outputs, and their 16-position tiles overshoot a
            // 14x14 plane by 12 positions instead of 20
            if (outputs % 6 == 0) Blocks6x2(ref input, planes, ref output, weights, bias, outputs, n, relu6);
            else Blocks5x2(ref input, planes, ref output, weights, bias, outputs, n, relu6);
            return;
        }
        if (Vector256.IsHardwareAccelerated && n >= 64 && outputs > 4 && inputsPerOutput * n > TileOuterMinFloats)
        {
            // position tiles outermost: a tile's inputs (k planes x 24 floats) stay in L1 while
            // every block of four outputs reads them, instead of the group's whole input (k planes,
            // up to 47 KB on M3's 14x14 stage) streaming from L2 once per block of four. A/B per
            // layer on M3 (6 alternated profile rounds, min): 0.90-0.93x with 36-60 inputs per
            // output on 14x14, 0.88-0.95x on 28x28 with 16-24. Not for a single block of four or a
            // group input that fits L1 anyway, where the call per tile costs more than it saves
            for (nint p = 0; ; p += 24)
            {
                if (p > n - 24) p = n - 24;
                for (o = 0; o + 4 <= outputs; o += 4)
                    Tile4x3(ref input, planes, ref Unsafe.Add(ref output, o * n), weights + o * inputsPerOutput, bias + o, n, p, relu6);
                if (o < outputs)
                {
                    o = outputs - 4; // the overlapping last block (its first outputs recomputed exactly)
                    Tile4x3(ref input, planes, ref Unsafe.Add(ref output, o * n), weights + o * inputsPerOutput, bias + o, n, p, relu6);
                }
                if (p == n - 24) return;
            }
        }
        if (System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.IsSupported && outputs >= 3 && n >= 8 && inputsPerOutput <= MaxOffsetTable)
        {
            // ARM64: eight outputs at a time (32 vector registers: 16 accumulators), the last 1-7
            // outputs as one block of 4, 6 or 8 ending at the last output (overlapping the previous
            // block, whose outputs it recomputes exactly), ten outputs as 6 + 4; the inputs' plane
            // offsets (bytes) as a table on the stack, shared by every block; three outputs as one block of three
            nint* offsets = stackalloc nint[inputsPerOutput];
            for (int i = 0; i < inputsPerOutput; i++) offsets[i] = planes[i] * n * sizeof(float);
            if (outputs == 3)
            {
                BlockRowsAdvSimd<ThreeRows>(ref input, offsets, inputsPerOutput, ref output, weights, bias, n, relu6);
                return;
            }
            while (o < outputs)
            {
                int rest = outputs - o;
                int size = rest == 10 ? 6 // 6 + 4 instead of 8 + an overlapping 4
                    : rest > 8 ? 8
                    : rest > 6 ? (outputs >= 8 ? 8 : 4)
                    : rest > 4 ? (outputs >= 6 ? 6 : 4)
                    : 4;
                int at = Math.Min(o, outputs - size); // the last block ends at the last output
                ref float outAt = ref Unsafe.Add(ref output, at * n);
                float* w = weights + at * inputsPerOutput;
                if (size == 8) Block8AdvSimd(ref input, offsets, inputsPerOutput, ref outAt, w, bias + at, n, relu6);
                else if (size == 6) BlockRowsAdvSimd<SixRows>(ref input, offsets, inputsPerOutput, ref outAt, w, bias + at, n, relu6);
                else BlockRowsAdvSimd<FourRows>(ref input, offsets, inputsPerOutput, ref outAt, w, bias + at, n, relu6);
                o = at + size;
            }
            return;
        }
        for (; o + 4 <= outputs; o += 4)
            Block4(ref input, planes, ref Unsafe.Add(ref output, o * n), weights + o * inputsPerOutput, bias + o, n, relu6);
        if (o == outputs) return;
        if (outputs >= 4)
        {
            // the last 1-3 outputs: one more block of four that overlaps the previous one (its
            // first outputs are recomputed exactly) rather than a narrower path
            o = outputs - 4;
            Block4(ref input, planes, ref Unsafe.Add(ref output, o * n), weights + o * inputsPerOutput, bias + o, n, relu6);
            return;
        }
        // a group of 1-3 outputs (M2's first 1x1 has 3 per group, M0's 2): the four-output block
        // with the missing outputs repeating the last one (computed again exactly and stored over
        // it), so every input plane is still read once per tile rather than once per output
        Block4(ref input, planes, ref output, weights, bias, n, relu6, outputs);
    }

    /// <summary>Group inputs (floats) above which <see cref="GroupConv"/> walks position tiles outermost (24 KB: most of L1).</summary>
    private const int TileOuterMinFloats = 6144;

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector256<float> Clamp(Vector256<float> v, bool relu6) => relu6 ? Simd.Relu6(v) : v;

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector128<float> Clamp(Vector128<float> v, bool relu6) => relu6 ? Simd.Relu6(v) : v;

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Clamp(float v, bool relu6) => relu6 ? Simd.Relu6(v) : v;
}
