// AVX2 variant of both pairs on narrow planes: eight channels at a time (a channel-vector block),
// used by Depthwise.Pair and Depthwise.PairStride2 where it applies.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MicroNet.Aot.Runtime;

public static unsafe partial class Depthwise
{
    /// <summary>
    /// Widest rows <see cref="PairBlocks8"/> takes for a stride-1 pair: the 7x7 stage. Per-layer A/B
    /// on M3 (6 alternated profile rounds, min): the 7x7 pairs 0.84x (k = 5) and 0.78x (k = 3); on
    /// 14x14 the transposes (24 shuffles per 8 x 8 block, in and out) cost what the blocked taps
    /// save (1.01-1.06x), so those stay on the plane-by-plane kernel.
    /// </summary>
    private const int PairBlocks8Stride1MaxWidth = 8;

    /// <summary>Widest input rows <see cref="PairBlocks8"/> takes at all (its stack blocks for 14x14 and 8 channels are ~10 KB).</summary>
    private const int PairBlocks8MaxWidth = 16;

    /// <summary>Most floats <see cref="PairBlocks8"/> puts on the stack (32 KB): taller planes take the plane-by-plane kernels, so no shape can overflow a small thread stack.</summary>
    private const int PairBlocks8MaxStackFloats = 8192;

    /// <summary>
    /// A depthwise k x 1 conv and the depthwise 1 x k conv that reads only it (both stride 1: the
    /// pair of <see cref="Pair"/>; or both stride 2: the downsampling pair of
    /// <see cref="PairStride2"/>) eight channels at a time (AVX2 + FMA; k = 3 or 5 on either conv;
    /// input rows of at most <see cref="PairBlocks8MaxWidth"/> floats; the callers choose the
    /// shapes where it measured faster: the 7x7 stage and the 14 -> 7 downsampling). On such planes
    /// the plane-by-plane kernels pay for row-edge masks and for loads that straddle cache lines
    /// (rows of 7 or 14 floats never align with a vector). Here eight input planes are transposed
    /// (8 x 8 blocks of registers) into a stack block that holds, for each position, the eight
    /// channels as one vector, between zero rows; the k x 1 and the 1 x k then run as aligned vector
    /// loads and FMAs with the per-channel weights as vectors, no masks (a tap off the plane reads a
    /// zero), and the result is transposed back into the eight output planes. Every value is
    /// summed exactly as by the plane-by-plane kernels (bias, then the taps in order; a tap off the
    /// plane adds fma(0, w, acc)), so the output is bit for bit theirs. Only where
    /// <see cref="PairBlocks8Applies"/>. Returns the channels done (the whole blocks of eight): the
    /// one variant that takes a prefix of the channels; the caller runs the rest.
    /// </summary>
    /// <summary>
    /// Whether <see cref="PairBlocks8"/> takes a pair: AVX2 + FMA, at least one block of eight
    /// channels, k = 3 or 5 on both convs, input rows of at most <see cref="PairBlocks8MaxWidth"/>
    /// floats, planes of at least one vector, and stack blocks within <see cref="PairBlocks8MaxStackFloats"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool PairBlocks8Applies(int channels, nint inPlane, nint outPlane, int columnK, int columnPad, int rowK, int rowPad,
        int stride, int height, int width)
    {
        int n = height * width;
        int outHeight = (height + 2 * columnPad - columnK) / stride + 1, outWidth = (width + 2 * rowPad - rowK) / stride + 1;
        int outN = outHeight * outWidth;
        if (!Avx2.IsSupported || !Fma.IsSupported || channels < 8 || width > PairBlocks8MaxWidth || n < 8 || outN < 8 ||
            (columnK != 3 && columnK != 5) || (rowK != 3 && rowK != 5) || inPlane < n || outPlane < outN)
            return false;
        int above = columnPad, below = (outHeight - 1) * stride + columnK - above - height;
        int left = rowPad, right = (outWidth - 1) * stride + rowK - left - width;
        return (long)(height + above + below) * width * 8 + (long)(width + left + right) * 8 + (long)outN * 8 + 24 <= PairBlocks8MaxStackFloats;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int PairBlocks8(ref float input, ReadOnlySpan<int> inputPlanes, nint inPlane, ref float output, nint outPlane,
        float* columnWeights, float* columnBias, int columnK, int columnPad, float* rowWeights, float* rowBias, int rowK, int rowPad,
        int stride, int height, int width, bool relu6)
    {
        int n = height * width;
        int outHeight = (height + 2 * columnPad - columnK) / stride + 1, outWidth = (width + 2 * rowPad - rowK) / stride + 1;
        int outN = outHeight * outWidth;
        int blocks = inputPlanes.Length / 8;
        // zero rows above and below, zero columns left and right: enough for every tap of every output
        int above = columnPad, below = (outHeight - 1) * stride + columnK - above - height;
        int left = rowPad, right = (outWidth - 1) * stride + rowK - left - width;
        // staged input: position (y, x) of the block at staged[((y + above) * width + x) * 8]
        int stagedFloats = (height + above + below) * width * 8;
        float* staged = stackalloc float[stagedFloats + 8];
        staged = (float*)(((nint)staged + 31) & ~(nint)31); // 32-byte aligned: no load straddles a cache line
        new Span<float>(staged, above * width * 8).Clear();
        new Span<float>(staged + (above + height) * width * 8, below * width * 8).Clear();
        // one intermediate row, with zero columns either side
        float* middleRow = stackalloc float[(width + left + right) * 8 + 8];
        middleRow = (float*)(((nint)middleRow + 31) & ~(nint)31);
        new Span<float>(middleRow, (width + left + right) * 8).Clear();
        // the block's output, position by position, before it is transposed back
        float* result = stackalloc float[outN * 8 + 8];
        result = (float*)(((nint)result + 31) & ~(nint)31);
        var columnTaps = stackalloc Vector256<float>[5];
        var rowTaps = stackalloc Vector256<float>[5];
        float* interior = staged + above * width * 8;
        float* middle = middleRow + left * 8;
        for (int block = 0; block < blocks; block++)
        {
            int m0 = block * 8;
            // the eight planes into the staged block: 8 positions at a time; the last group
            // overlaps the one before it when n is not a multiple of 8 (same values written twice)
            for (int p = 0; ; p += 8)
            {
                if (p > n - 8) p = n - 8;
                Transpose8(
                    Vector256.LoadUnsafe(ref Unsafe.Add(ref input, inputPlanes[m0] * inPlane + p)),
                    Vector256.LoadUnsafe(ref Unsafe.Add(ref input, inputPlanes[m0 + 1] * inPlane + p)),
                    Vector256.LoadUnsafe(ref Unsafe.Add(ref input, inputPlanes[m0 + 2] * inPlane + p)),
                    Vector256.LoadUnsafe(ref Unsafe.Add(ref input, inputPlanes[m0 + 3] * inPlane + p)),
                    Vector256.LoadUnsafe(ref Unsafe.Add(ref input, inputPlanes[m0 + 4] * inPlane + p)),
                    Vector256.LoadUnsafe(ref Unsafe.Add(ref input, inputPlanes[m0 + 5] * inPlane + p)),
                    Vector256.LoadUnsafe(ref Unsafe.Add(ref input, inputPlanes[m0 + 6] * inPlane + p)),
                    Vector256.LoadUnsafe(ref Unsafe.Add(ref input, inputPlanes[m0 + 7] * inPlane + p)),
                    ref *(interior + p * 8), 8);
                if (p == n - 8) break;
            }
            // per-channel taps as vectors: lane c holds channel m0 + c's weight
            for (int t = 0; t < columnK; t++) columnTaps[t] = GatherTap(columnWeights + m0 * columnK + t, columnK);
            for (int t = 0; t < rowK; t++) rowTaps[t] = GatherTap(rowWeights + m0 * rowK + t, rowK);
            var columnBiases = Vector256.Load(columnBias + m0);
            var rowBiases = Vector256.Load(rowBias + m0);
            for (int y = 0; y < outHeight; y++)
            {
                // k x 1: output row y reads staged rows y*stride .. y*stride + k - 1 (input rows y*stride - pad ..)
                float* top = staged + y * stride * width * 8;
                if (columnK == 3) ColumnTaps3(top, middle, width, columnTaps, columnBiases);
                else ColumnTaps5(top, middle, width, columnTaps, columnBiases);
                // 1 x k over the intermediate row (zero columns either side): output x reads padded x*stride ..
                float* dst = result + y * outWidth * 8;
                if (rowK == 3) RowTaps3(middleRow, dst, outWidth, stride, rowTaps, rowBiases, relu6);
                else RowTaps5(middleRow, dst, outWidth, stride, rowTaps, rowBiases, relu6);
            }
            // back into the eight output planes, 8 positions at a time (the last group overlapping)
            for (int p = 0; ; p += 8)
            {
                if (p > outN - 8) p = outN - 8;
                float* at = result + p * 8;
                Transpose8(Vector256.Load(at), Vector256.Load(at + 8), Vector256.Load(at + 16), Vector256.Load(at + 24),
                    Vector256.Load(at + 32), Vector256.Load(at + 40), Vector256.Load(at + 48), Vector256.Load(at + 56),
                    ref Unsafe.Add(ref output, m0 * outPlane + p), outPlane);
                if (p == outN - 8) break;
            }
        }
        return blocks * 8;
    }

    /// <summary>Eight weights k floats apart (tap t of eight consecutive channels) as one vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector256<float> GatherTap(float* first, int k) =>
        Vector256.Create(first[0], first[k], first[2 * k], first[3 * k], first[4 * k], first[5 * k], first[6 * k], first[7 * k]);

    // The k x 1 over one row of positions: staged rows top .. top + k - 1, same column.
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void ColumnTaps3(float* top, float* middle, int width, Vector256<float>* taps, Vector256<float> bias)
    {
        nint row = width * 8;
        var w0 = taps[0]; var w1 = taps[1]; var w2 = taps[2];
        for (nint x = 0; x < row; x += 8)
        {
            var acc = Fma.MultiplyAdd(Vector256.Load(top + x), w0, bias);
            acc = Fma.MultiplyAdd(Vector256.Load(top + row + x), w1, acc);
            acc = Fma.MultiplyAdd(Vector256.Load(top + 2 * row + x), w2, acc);
            acc.Store(middle + x);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void ColumnTaps5(float* top, float* middle, int width, Vector256<float>* taps, Vector256<float> bias)
    {
        nint row = width * 8;
        var w0 = taps[0]; var w1 = taps[1]; var w2 = taps[2]; var w3 = taps[3]; var w4 = taps[4];
        for (nint x = 0; x < row; x += 8)
        {
            var acc = Fma.MultiplyAdd(Vector256.Load(top + x), w0, bias);
            acc = Fma.MultiplyAdd(Vector256.Load(top + row + x), w1, acc);
            acc = Fma.MultiplyAdd(Vector256.Load(top + 2 * row + x), w2, acc);
            acc = Fma.MultiplyAdd(Vector256.Load(top + 3 * row + x), w3, acc);
            acc = Fma.MultiplyAdd(Vector256.Load(top + 4 * row + x), w4, acc);
            acc.Store(middle + x);
        }
    }

    // The 1 x k over one intermediate row: output x reads padded positions x*stride .. x*stride + k - 1.
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void RowTaps3(float* padded, float* dst, int width, int stride, Vector256<float>* taps, Vector256<float> bias, bool relu6)
    {
        nint row = width * 8, step = stride * 8;
        var w0 = taps[0]; var w1 = taps[1]; var w2 = taps[2];
        for (nint x = 0; x < row; x += 8, padded += step)
        {
            var acc = Fma.MultiplyAdd(Vector256.Load(padded), w0, bias);
            acc = Fma.MultiplyAdd(Vector256.Load(padded + 8), w1, acc);
            acc = Fma.MultiplyAdd(Vector256.Load(padded + 16), w2, acc);
            if (relu6) acc = Simd.Relu6(acc);
            acc.Store(dst + x);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void RowTaps5(float* padded, float* dst, int width, int stride, Vector256<float>* taps, Vector256<float> bias, bool relu6)
    {
        nint row = width * 8, step = stride * 8;
        var w0 = taps[0]; var w1 = taps[1]; var w2 = taps[2]; var w3 = taps[3]; var w4 = taps[4];
        for (nint x = 0; x < row; x += 8, padded += step)
        {
            var acc = Fma.MultiplyAdd(Vector256.Load(padded), w0, bias);
            acc = Fma.MultiplyAdd(Vector256.Load(padded + 8), w1, acc);
            acc = Fma.MultiplyAdd(Vector256.Load(padded + 16), w2, acc);
            acc = Fma.MultiplyAdd(Vector256.Load(padded + 24), w3, acc);
            acc = Fma.MultiplyAdd(Vector256.Load(padded + 32), w4, acc);
            if (relu6) acc = Simd.Relu6(acc);
            acc.Store(dst + x);
        }
    }

    /// <summary>
    /// The 8 x 8 transpose of rows r0..r7 (row i: channel i at 8 positions) stored as 8 vectors
    /// <paramref name="stride"/> floats apart from <paramref name="dst"/> (vector j: position j's 8
    /// channels, or the reverse): unpack pairs of rows, shuffle pairs of pairs, then swap 128-bit
    /// halves (24 shuffles for 64 floats). All in locals, so the JIT keeps them in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Transpose8(Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7, ref float dst, nint stride)
    {
        // t0 = (a0 b0 a1 b1 | a4 b4 a5 b5), t1 = (a2 b2 a3 b3 | a6 b6 a7 b7), ...
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        // u0 = (a0 b0 c0 d0 | a4 b4 c4 d4), u1 = (a1 b1 c1 d1 | a5 b5 c5 d5), ...
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        // low halves give positions 0-3, high halves 4-7
        Avx.Permute2x128(u0, u4, 0x20).StoreUnsafe(ref dst);
        Avx.Permute2x128(u1, u5, 0x20).StoreUnsafe(ref dst, (nuint)stride);
        Avx.Permute2x128(u2, u6, 0x20).StoreUnsafe(ref dst, (nuint)(2 * stride));
        Avx.Permute2x128(u3, u7, 0x20).StoreUnsafe(ref dst, (nuint)(3 * stride));
        Avx.Permute2x128(u0, u4, 0x31).StoreUnsafe(ref dst, (nuint)(4 * stride));
        Avx.Permute2x128(u1, u5, 0x31).StoreUnsafe(ref dst, (nuint)(5 * stride));
        Avx.Permute2x128(u2, u6, 0x31).StoreUnsafe(ref dst, (nuint)(6 * stride));
        Avx.Permute2x128(u3, u7, 0x31).StoreUnsafe(ref dst, (nuint)(7 * stride));
    }
}
