// 1 x k depthwise convolutions (stride along W): Depthwise.Rows and the per-plane Row kernels.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Runtime.Intrinsics.Arm;

namespace MicroNet.Aot.Runtime;

public static unsafe partial class Depthwise
{
    /// <summary>
    /// A whole depthwise 1 x k layer: output plane c = 1 x k conv of input plane
    /// <paramref name="inputPlanes"/>[c] with taps weights[c*k .. c*k + k) and bias[c], clamped to
    /// [0, 6] with <paramref name="relu6"/>. The mask table is built once for all planes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows(ref float input, ReadOnlySpan<int> inputPlanes, nint inPlane, ref float output, nint outPlane,
        float* weights, float* bias, int k, int pad, int stride, int height, int inWidth, int outWidth, bool relu6)
    {
        nint planeFloats = (nint)height * inWidth;
        if (RowsStride1AdvSimdApplies(k, pad, stride, inWidth, outWidth))
        {
            // ARM64: in place, the taps by EXT from the row's vectors (Depthwise.Rows.AdvSimd.cs)
            RowsStride1AdvSimd(ref input, inputPlanes, inPlane, ref output, outPlane, weights, bias, k, height, inWidth, relu6);
            return;
        }
        if (stride == 1 && inWidth == outWidth && planeFloats >= 8 && planeFloats <= InPlacePlaneFloats && inPlane == planeFloats && pad >= 0 && pad <= k - 1)
        {
            RowsInPlace(ref input, inputPlanes, inPlane, ref output, outPlane, weights, bias, k, pad, height, inWidth, relu6);
            return;
        }
        int gap = k - 1;
        if (stride == 1 && inWidth == outWidth && outWidth >= 4 && pad >= 0 && pad <= gap)
        {
            // Stride 1: each block of rows is staged into a buffer whose rows are separated by
            // k-1 zeros (set once; later blocks overwrite only the row data), so every tap of every
            // row reads its row or a zero and the rows run unmasked. 8 more zeros at the end: a
            // row narrower than a vector reads on. (Stride 2 the same way, each row split into
            // even and odd columns, measured 1.1-1.6x slower per M3 layer than the masked blocks
            // below: the per-row splits are short.)
            nint rowStride = outWidth + gap;
            int rows = (int)Math.Max(1, Math.Min(height, BlockFloats / rowStride));
            nint length = gap + rows * rowStride + 8;
            float* buffer = stackalloc float[(int)length];
            new Span<float>(buffer, (int)length).Clear();
            float* first = buffer + gap; // row 0
            nint* offsets = stackalloc nint[k];
            for (int t = 0; t < k; t++) offsets[t] = t - pad;
            for (int c = 0; c < inputPlanes.Length; c++)
            {
                ref float plane = ref Unsafe.Add(ref input, inputPlanes[c] * inPlane);
                // a plane in one block that the previous output read too (a channel multiplier) is staged already
                bool staged = rows == height && c > 0 && inputPlanes[c] == inputPlanes[c - 1];
                for (int y0 = 0; y0 < height; y0 += rows)
                {
                    int r = Math.Min(rows, height - y0);
                    if (!staged)
                        for (int y = 0; y < r; y++) Copy(ref Unsafe.Add(ref plane, (nint)(y0 + y) * inWidth), first + y * rowStride, inWidth);
                    // a row narrower than a vector spills into the next row's start, which is
                    // computed after it; only the last row of the last plane must not spill
                    GappedRows(first, rowStride, offsets, ref Unsafe.Add(ref output, c * outPlane + (nint)y0 * outWidth), weights + c * k, bias[c], k, r, outWidth, relu6,
                        spillPastBlock: c + 1 < inputPlanes.Length || y0 + r < height);
                }
            }
            return;
        }
        if (Avx2.IsSupported && stride == 2 && inWidth == 2 * outWidth && (k == 3 && pad == 1 || k == 5 && pad == 2) &&
            planeFloats >= 16 && planeFloats <= InPlacePlaneFloats && inPlane == planeFloats)
        {
            RowsStride2Shuffled(ref input, inputPlanes, inPlane, ref output, outPlane, weights, bias, k, height, outWidth, relu6);
            return;
        }
        if (Avx2.IsSupported && stride == 2 && k == 3 && pad == 1 && inWidth == 2 * outWidth && outWidth >= 8)
        {
            RowsStride2Wide3(ref input, inputPlanes, inPlane, ref output, outPlane, weights, bias, height, outWidth, relu6);
            return;
        }
        if (System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.IsSupported && stride == 2 && k == 3 && pad == 1 && inWidth == 2 * outWidth && outWidth >= 4)
        {
            // ARM64: each plane split in registers (LD2), no staging or masks (M3 stem 1 x 3: 1.0 M -> 0.47 M instructions)
            for (int c = 0; c < inputPlanes.Length; c++)
                RowStride2K3AdvSimd(ref Unsafe.Add(ref input, inputPlanes[c] * inPlane), ref Unsafe.Add(ref output, c * outPlane), weights + c * k, bias[c],
                    height, inWidth, outWidth, relu6);
            return;
        }
        uint* masks = stackalloc uint[RowMaskLength(k, height, inWidth, outWidth)];
        RowMasks(masks, k, pad, stride, height, inWidth, outWidth);
        float* stage = stackalloc float[RowStageLength(height, inWidth, outWidth)];
        if (stride == 2 && inWidth == 2 * outWidth && pad >= 0 && pad <= Guard && k - 1 - pad >= 0 && k - 1 - pad <= Guard)
        {
            // output channels that read the same input plane (a channel multiplier) share its split
            int maskedTaps = MaskedTaps(masks, k, RowMaskLength(k, height, inWidth, outWidth) / k);
            for (int c0 = 0, c1; c0 < inputPlanes.Length; c0 = c1)
            {
                for (c1 = c0 + 1; c1 < inputPlanes.Length && inputPlanes[c1] == inputPlanes[c0]; c1++) { }
                RowStride2(ref Unsafe.Add(ref input, inputPlanes[c0] * inPlane), ref Unsafe.Add(ref output, c0 * outPlane), outPlane, c1 - c0,
                    weights + c0 * k, bias + c0, k, pad, height, inWidth, outWidth, masks, maskedTaps, stage, relu6);
            }
            return;
        }
        for (int c = 0; c < inputPlanes.Length; c++)
            Row(ref Unsafe.Add(ref input, inputPlanes[c] * inPlane), ref Unsafe.Add(ref output, c * outPlane), weights + c * k, bias[c],
                k, pad, stride, height, inWidth, outWidth, masks, stage, relu6);
    }

    /// <summary>
    /// out[y][x] = bias + sum_t taps[t] * rows[y * rowStride + x + offsets[t]] for rows staged with
    /// their zero padding around them. Rows of 8 or more floats end in an overlapping vector; rows
    /// of 4 to 7 floats take one vector each, whose lanes past the row end land on the next row's
    /// start before that row is computed (at most 4 floats: never past the next row). The block's
    /// last row may do so only with <paramref name="spillPastBlock"/> (something computed later
    /// follows it in the output).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GappedRows(float* rows, nint rowStride, nint* offsets, ref float output, float* taps, float bias, int k, int height, int width,
        bool relu6, bool spillPastBlock)
    {
        int vectorRows = 0;
        if (Vector256.IsHardwareAccelerated && (k == 3 || k == 5) && width >= 4)
        {
            vectorRows = width >= 8 || spillPastBlock ? height : height - 1;
            var w0 = Vector256.Create(taps[0]); var w1 = Vector256.Create(taps[1]); var w2 = Vector256.Create(taps[2]);
            var w3 = k == 5 ? Vector256.Create(taps[3]) : default; var w4 = k == 5 ? Vector256.Create(taps[4]) : default;
            nint o0 = offsets[0], o1 = offsets[1], o2 = offsets[2], o3 = k == 5 ? offsets[3] : 0, o4 = k == 5 ? offsets[4] : 0;
            var b = Vector256.Create(bias);
            for (int y = 0; y < vectorRows; y++)
            {
                float* row = rows + y * rowStride;
                ref float outRow = ref Unsafe.Add(ref output, (nint)y * width);
                for (nint x = 0; ; x += 8)
                {
                    if (x > width - 8) x = Math.Max(0, width - 8); // the overlapping last vector
                    float* at = row + x;
                    var acc = Simd.Fma(Vector256.Load(at + o0), w0, b);
                    acc = Simd.Fma(Vector256.Load(at + o1), w1, acc);
                    acc = Simd.Fma(Vector256.Load(at + o2), w2, acc);
                    if (k == 5)
                    {
                        acc = Simd.Fma(Vector256.Load(at + o3), w3, acc);
                        acc = Simd.Fma(Vector256.Load(at + o4), w4, acc);
                    }
                    if (relu6) acc = Simd.Relu6(acc);
                    acc.StoreUnsafe(ref outRow, (nuint)x);
                    if (x >= width - 8) break;
                }
            }
        }
        for (int y = vectorRows; y < height; y++)
            Taps(ref *(rows + y * rowStride), offsets, ref Unsafe.Add(ref output, (nint)y * width), taps, bias, k, width, null, 0, relu6);
    }

    /// <summary>
    /// Depthwise 1 x k, stride 1, over whole planes read in place: out[j] = bias + sum_t taps[t] *
    /// in[j + t - pad], one flat loop over the plane, each product masked off where its tap leaves
    /// the row, which is exactly PyTorch's zero padding. No staging copy: a masked read past the
    /// plane lands in the neighbouring plane of the same tensor. Only the lowest and the highest
    /// plane, whose neighbours would lie outside the tensor, are copied into a buffer first.
    /// (Measured on M3: 0.5-0.7x the gapped rows' time on 7x7 planes, 0.8-0.9x on 14x14 and 28x28.
    /// The same for k x 1 with a mask table was 1.4-2.3x slower than copying the plane between zero
    /// rows; with masks from a row-index compare it is what <see cref="Pair"/> does.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowsInPlace(ref float input, ReadOnlySpan<int> inputPlanes, nint inPlane, ref float output, nint outPlane,
        float* weights, float* bias, int k, int pad, int height, int width, bool relu6)
    {
        nint n = (nint)height * width;
        Span<int> columns = stackalloc int[(int)n];
        var rows = new RowMasking(columns, stackalloc uint[IndexMaskedTapsApply(k, pad) ? 0 : (int)(k * n)], stackalloc nint[k], k, pad, height, width);
        int lowest = int.MaxValue, highest = int.MinValue;
        foreach (int p in inputPlanes) { lowest = Math.Min(lowest, p); highest = Math.Max(highest, p); }
        float* stage = stackalloc float[(int)n + k - 1];
        new Span<float>(stage, (int)n + k - 1).Clear(); // read under masks only; zeroed to keep it tidy
        fixed (int* columnIndex = columns)
        for (int c = 0; c < inputPlanes.Length; c++)
        {
            int p = inputPlanes[c];
            ref float plane = ref Unsafe.Add(ref input, p * inPlane);
            if (p == lowest || p == highest)
            {
                if (c == 0 || inputPlanes[c - 1] != p) Copy(ref plane, stage + pad, n); // outputs of one plane share the copy
                plane = ref *(stage + pad);
            }
            if (k == 3 && IndexMaskedTapsApply(k, pad) && c + 1 < inputPlanes.Length && inputPlanes[c + 1] == p)
            {
                // two outputs of one input plane (a channel multiplier): one pass, loads and masks shared
                IndexMaskedTaps3x2(ref plane, ref Unsafe.Add(ref output, c * outPlane), outPlane, weights + c * k, bias + c, n, columnIndex, width, relu6);
                c++;
                continue;
            }
            rows.Run(ref plane, ref Unsafe.Add(ref output, c * outPlane), weights + c * k, bias[c], n, relu6);
        }
    }

    /// <summary>Whether the 1 x k taps that leave a row are masked by comparing column indices (AVX, centred k = 3 or 5) rather than by a mask table.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool IndexMaskedTapsApply(int k, int pad) => Vector256.IsHardwareAccelerated && (k == 3 || k == 5) && pad == k / 2;

    /// <summary>
    /// The row masking of a flat stride-1 1 x k loop over whole planes (taps that leave a row
    /// dropped), built once per layer. With AVX and a centred k = 3 or 5 the masks are computed
    /// per vector from a table of column indices (one load and k - 1 compares instead of k - 1
    /// mask loads: the loop is load-bound); otherwise a k x n mask table feeds <see cref="Taps"/>.
    /// </summary>
    private readonly ref struct RowMasking
    {
        private readonly Span<int> _columns;
        private readonly Span<uint> _masks;
        private readonly Span<nint> _offsets;
        private readonly int _k, _pad, _width, _maskedTaps;

        public RowMasking(Span<int> columns, Span<uint> masks, Span<nint> offsets, int k, int pad, int height, int width)
        {
            _columns = columns; _masks = masks; _offsets = offsets; _k = k; _pad = pad; _width = width;
            for (int y = 0, j = 0; y < height; y++)
                for (int x = 0; x < width; x++) columns[j++] = x;
            _maskedTaps = 0;
            if (IndexMaskedTapsApply(k, pad)) return;
            int n = height * width;
            for (int t = 0; t < k; t++)
            {
                int d = t - pad;
                offsets[t] = d;
                if (d != 0) _maskedTaps |= 1 << t; // the centre tap is inside everywhere
                for (int j = 0; j < n; j++) masks[t * n + j] = (uint)(columns[j] + d) < (uint)width ? uint.MaxValue : 0u;
            }
        }

        /// <summary>dst = the 1 x k conv of the plane at src (whose neighbours, pad floats either side, are readable).</summary>
        public void Run(ref float src, ref float dst, float* taps, float bias, nint n, bool relu6)
        {
            fixed (int* columns = _columns)
            fixed (uint* masks = _masks)
            fixed (nint* offsets = _offsets)
            {
                if (_k == 3 && IndexMaskedTapsApply(_k, _pad)) IndexMaskedTaps3(ref src, ref dst, taps, bias, n, columns, _width, 1, relu6);
                else if (_k == 5 && IndexMaskedTapsApply(_k, _pad)) IndexMaskedTaps5(ref src, ref dst, taps, bias, n, columns, _width, 1, relu6);
                else Taps(ref src, offsets, ref dst, taps, bias, _k, n, masks, n, relu6, _maskedTaps);
            }
        }
    }

    /// <summary>
    /// Output lane order of an in-lane even/odd split of two vectors (<c>vshufps</c>, no lane
    /// crossing): lane L holds output L's value at position <c>Scrambled[L]</c>. One
    /// <c>vpermpd</c> of the accumulator (64-bit lanes 0, 2, 1, 3) restores the order.
    /// </summary>
    private static ReadOnlySpan<byte> Scrambled => new byte[] { 0, 1, 4, 5, 2, 3, 6, 7 };

    /// <summary>
    /// Depthwise 1 x k, stride 2 (k = 3, pad 1 or k = 5, pad 2; input rows twice the output
    /// width), AVX2, over whole planes read in place. Output vector j0..j0+7 reads input
    /// 2*j0 + d + 2i: the even and odd columns of two loads at 2*j0 (taps d = 0, 1), at 2*j0 - 2
    /// (d = -2, -1) and at 2*j0 + 2 (d = 2), split within 128-bit lanes by one <c>vshufps</c> each
    /// (no staging buffer, no lane-crossing shuffle per tap); the taps accumulate in that lane
    /// order from the bias, t = 0..k-1 as PyTorch sums them, and one permute per output vector
    /// puts the lanes back. Taps that leave their row (the first columns for d &lt; 0, the last for
    /// d = 2) are masked; the mask table follows the lane order and repeats every
    /// outWidth / gcd(outWidth, 8) vectors. As in <see cref="RowsInPlace"/>, masked reads past a
    /// plane land in its neighbours and only the lowest and highest plane are staged. Outputs of one
    /// input plane (a channel multiplier) share its loads and splits. Small planes only (A/B on
    /// M2 / M3: 0.7x the split-block path for 14 -> 7 columns, 0.95x for 28 -> 14; 1.2-1.45x
    /// slower on the 112- and 56-column planes of the first layers, which stay on the split blocks).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowsStride2Shuffled(ref float input, ReadOnlySpan<int> inputPlanes, nint inPlane, ref float output, nint outPlane,
        float* weights, float* bias, int k, int height, int outWidth, bool relu6)
    {
        int pad = k / 2, inWidth = 2 * outWidth;
        nint n = (nint)height * outWidth; // outputs per plane
        // mask table: `period` vectors starting at multiples of 8, then the overlapping last vector (start n - 8)
        int period = outWidth / Gcd(outWidth, 8);
        int tables = period + 1;
        uint* masks = stackalloc uint[tables * k * 8];
        for (int v = 0; v < tables; v++)
        {
            nint start = v < period ? v * 8 : n - 8;
            for (int t = 0; t < k; t++)
                for (int lane = 0; lane < 8; lane++)
                {
                    int x = (int)((start + Scrambled[lane]) % outWidth), at = 2 * x + t - pad; // the input column tap t reads
                    masks[(v * k + t) * 8 + lane] = (uint)at < (uint)inWidth ? uint.MaxValue : 0u;
                }
        }
        uint* lastMasks = masks + period * k * 8;
        int lowest = int.MaxValue, highest = int.MinValue;
        foreach (int p in inputPlanes) { lowest = Math.Min(lowest, p); highest = Math.Max(highest, p); }
        nint planeFloats = (nint)height * inWidth;
        float* stage = stackalloc float[(int)planeFloats + 2 * Guard];
        new Span<float>(stage, (int)planeFloats + 2 * Guard).Clear(); // read under masks only; zeroed to keep it tidy
        for (int c0 = 0, c1; c0 < inputPlanes.Length; c0 = c1)
        {
            for (c1 = c0 + 1; c1 < inputPlanes.Length && inputPlanes[c1] == inputPlanes[c0]; c1++) { }
            int p = inputPlanes[c0];
            ref float plane = ref Unsafe.Add(ref input, p * inPlane);
            if (p == lowest || p == highest)
            {
                Copy(ref plane, stage + Guard, planeFloats);
                plane = ref *(stage + Guard);
            }
            Stride2Taps(ref plane, ref Unsafe.Add(ref output, c0 * outPlane), outPlane, c1 - c0, weights + c0 * k, bias + c0, k, n, period, masks, lastMasks, relu6);
        }
    }

    /// <summary>The output vectors of <see cref="RowsStride2Shuffled"/> for the outputs of one input plane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Stride2Taps(ref float src, ref float dst, nint outPlane, int outputs, float* weights, float* bias, int k, nint n, int period,
        uint* masks, uint* lastMasks, bool relu6)
    {
        const byte Even = 0b10_00_10_00, Odd = 0b11_01_11_01, Unscramble = 0b11_01_10_00;
        int v = 0; // index of the vector in the mask period
        for (nint j = 0; ; j += 8)
        {
            uint* m;
            if (j > n - 8) { j = n - 8; m = lastMasks; } // the overlapping last vector
            else { m = masks + v * k * 8; if (++v == period) v = 0; }
            ref float at = ref Unsafe.Add(ref src, 2 * j);
            var a = Vector256.LoadUnsafe(ref at);
            var b = Vector256.LoadUnsafe(ref at, 8);
            var c = Vector256.LoadUnsafe(ref Unsafe.Subtract(ref at, 2));
            var d = Vector256.LoadUnsafe(ref at, 6);
            Vector256<float> tapMinus2 = default, tapPlus2 = default;
            if (k == 5)
            {
                tapMinus2 = Avx.Shuffle(c, d, Even) & Vector256.Load(m).AsSingle();
                tapPlus2 = Avx.Shuffle(Vector256.LoadUnsafe(ref at, 2), Vector256.LoadUnsafe(ref at, 10), Even) & Vector256.Load(m + 32).AsSingle();
            }
            var tapMinus1 = Avx.Shuffle(c, d, Odd) & Vector256.Load(m + (k == 5 ? 8 : 0)).AsSingle(); // masked where x = 0
            var tap0 = Avx.Shuffle(a, b, Even);
            var tapPlus1 = Avx.Shuffle(a, b, Odd); // column 2x + 1 is inside every row
            for (int o = 0; o < outputs; o++)
            {
                float* w = weights + o * k;
                Vector256<float> acc;
                if (k == 3)
                {
                    acc = Simd.Fma(tapMinus1, Vector256.Create(w[0]), Vector256.Create(bias[o]));
                    acc = Simd.Fma(tap0, Vector256.Create(w[1]), acc);
                    acc = Simd.Fma(tapPlus1, Vector256.Create(w[2]), acc);
                }
                else
                {
                    acc = Simd.Fma(tapMinus2, Vector256.Create(w[0]), Vector256.Create(bias[o]));
                    acc = Simd.Fma(tapMinus1, Vector256.Create(w[1]), acc);
                    acc = Simd.Fma(tap0, Vector256.Create(w[2]), acc);
                    acc = Simd.Fma(tapPlus1, Vector256.Create(w[3]), acc);
                    acc = Simd.Fma(tapPlus2, Vector256.Create(w[4]), acc);
                }
                if (relu6) acc = Simd.Relu6(acc);
                Avx2.Permute4x64(acc.AsDouble(), Unscramble).AsSingle().StoreUnsafe(ref Unsafe.Add(ref dst, o * outPlane + j));
            }
            if (j == n - 8) return;
        }
    }

    /// <summary>
    /// Depthwise 1 x 3, stride 2, pad 1 over planes of any size whose rows hold 16 or more floats
    /// (the stem's second conv: 112 x 224 -> 112 x 112), row by row and read in place. Output
    /// vector j0..j0+7 of a row reads columns 2*j0 - 1 .. 2*j0 + 15: the even and odd columns of
    /// two loads at 2*j0 and the odd columns of two loads at 2*j0 - 2, split within 128-bit lanes
    /// by one <c>vshufps</c> each as in <see cref="Stride2Taps"/>, shared by every output of the
    /// input plane (a channel multiplier), and one permute per output vector puts the lanes back.
    /// No masks and no staging: only a row's first vector reads column -1, and it takes the two
    /// columns before the row as zeros from a permute of its first load instead; a row's last
    /// vector overlaps the one before it. Taps summed t = 0..2 from the bias, as PyTorch sums them
    /// (bit for bit the split-block path's sums). Per-layer A/B against the split-block path on
    /// the stems of M2 and M3 (112 x 224 -> 112 x 112, channel multiplier 3): 0.94x and 0.97-0.99x;
    /// the layer is bound by its 1 MB of L2 traffic more than by its arithmetic.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowsStride2Wide3(ref float input, ReadOnlySpan<int> inputPlanes, nint inPlane, ref float output, nint outPlane,
        float* weights, float* bias, int height, int outWidth, bool relu6)
    {
        const byte Even = 0b10_00_10_00, Odd = 0b11_01_11_01, Unscramble = 0b11_01_10_00;
        nint inWidth = 2 * (nint)outWidth, lastStart = outWidth - 8;
        // a row's first vector: columns -2..5 = two zeros, then columns 0..5 of its first load
        var shiftTwo = Vector256.Create(0, 0, 0, 1, 2, 3, 4, 5);
        var dropTwo = Vector256.Create(0, 0, -1, -1, -1, -1, -1, -1).AsSingle();
        for (int c0 = 0, c1; c0 < inputPlanes.Length; c0 = c1)
        {
            for (c1 = c0 + 1; c1 < inputPlanes.Length && inputPlanes[c1] == inputPlanes[c0]; c1++) { }
            ref float plane = ref Unsafe.Add(ref input, inputPlanes[c0] * inPlane);
            for (int y = 0; y < height; y++)
            {
                ref float row = ref Unsafe.Add(ref plane, y * inWidth);
                ref float outRow = ref Unsafe.Add(ref output, c0 * outPlane + (nint)y * outWidth);
                for (nint j = 0; ; j += 8)
                {
                    if (j > lastStart) j = lastStart;
                    ref float at = ref Unsafe.Add(ref row, 2 * j);
                    var a = Vector256.LoadUnsafe(ref at);
                    var b = Vector256.LoadUnsafe(ref at, 8);
                    var c = j == 0 ? Avx2.PermuteVar8x32(a, shiftTwo) & dropTwo : Vector256.LoadUnsafe(ref Unsafe.Subtract(ref at, 2));
                    var d = Vector256.LoadUnsafe(ref at, 6);
                    var tapMinus1 = Avx.Shuffle(c, d, Odd);
                    var tap0 = Avx.Shuffle(a, b, Even);
                    var tapPlus1 = Avx.Shuffle(a, b, Odd);
                    for (int o = c0; o < c1; o++)
                    {
                        float* w = weights + o * 3;
                        var acc = Simd.Fma(tapMinus1, Vector256.Create(w[0]), Vector256.Create(bias[o]));
                        acc = Simd.Fma(tap0, Vector256.Create(w[1]), acc);
                        acc = Simd.Fma(tapPlus1, Vector256.Create(w[2]), acc);
                        if (relu6) acc = Simd.Relu6(acc);
                        Avx2.Permute4x64(acc.AsDouble(), Unscramble).AsSingle().StoreUnsafe(ref Unsafe.Add(ref outRow, (o - c0) * outPlane + j));
                    }
                    if (j == lastStart) break;
                }
            }
        }
    }

    /// <summary>Rows of one block of a <c>Row</c> call (a block is staged and shares one mask table).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int RowBlockRows(int height, int inWidth) => Math.Max(1, Math.Min(height, BlockFloats / Math.Max(1, inWidth)));

    /// <summary>Words of the mask table <see cref="RowMasks"/> fills for a 1 x k conv of this shape.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int RowMaskLength(int k, int height, int inWidth, int outWidth) => k * RowBlockRows(height, inWidth) * outWidth;

    /// <summary>
    /// The per-tap validity masks of a 1 x k conv over one block of rows: word [t][r * outWidth + ox]
    /// is all ones when input column ox*stride + t - pad lies inside the row, else zero. A layer
    /// builds it once and passes it to <c>Row</c> for every plane.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void RowMasks(uint* masks, int k, int pad, int stride, int height, int inWidth, int outWidth)
    {
        int rows = RowBlockRows(height, inWidth);
        nint block = (nint)rows * outWidth;
        for (int t = 0; t < k; t++)
        {
            uint* row = masks + t * block;
            for (int ox = 0; ox < outWidth; ox++) row[ox] = (uint)(ox * stride + t - pad) < (uint)inWidth ? ~0u : 0u;
            for (int r = 1; r < rows; r++) new ReadOnlySpan<uint>(row, outWidth).CopyTo(new Span<uint>(row + r * outWidth, outWidth));
        }
    }

    /// <summary>
    /// 1 x k: out[y][ox] = bias + sum_t taps[t] * in[y][ox*stride + t - pad], for every row y.
    /// Runs over blocks of rows as one flat loop: stride 1 reads the rows as they lie (copied next
    /// to a guard only for the plane's first and last block), stride 2 reads the block split into
    /// even and odd columns; the taps that fall outside a row are dropped by the mask table.
    /// </summary>
    /// <remarks>With <paramref name="relu6"/> the result is clamped to [0, 6] as it is stored (a fused ReLU6).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Row(ref float input, ref float output, float* taps, float bias, int k, int pad, int stride,
        int height, int inWidth, int outWidth, bool relu6 = false)
    {
        uint* masks = stackalloc uint[RowMaskLength(k, height, inWidth, outWidth)];
        RowMasks(masks, k, pad, stride, height, inWidth, outWidth);
        float* stage = stackalloc float[RowStageLength(height, inWidth, outWidth)];
        Row(ref input, ref output, taps, bias, k, pad, stride, height, inWidth, outWidth, masks, stage, relu6);
    }

    /// <summary>Floats of the staging buffer a <c>Row</c> call needs: one block of rows (split into even and odd columns for stride 2) between guards.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int RowStageLength(int height, int inWidth, int outWidth) => 3 * Guard + 2 * RowBlockRows(height, inWidth) * Math.Max(inWidth, outWidth);

    /// <summary>
    /// The 1 x k conv above with the mask table (<paramref name="masks"/>) that <see cref="RowMasks"/> built
    /// for this shape once per layer, instead of one per plane. maskedTaps: bit t set when tap t's
    /// masks have a zero somewhere (<see cref="MaskedTaps"/> of the table; -1, unknown: every tap masked).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Row(ref float input, ref float output, float* taps, float bias, int k, int pad, int stride,
        int height, int inWidth, int outWidth, uint* masks, bool relu6 = false, int maskedTaps = -1)
    {
        float* stage = stackalloc float[RowStageLength(height, inWidth, outWidth)];
        Row(ref input, ref output, taps, bias, k, pad, stride, height, inWidth, outWidth, masks, stage, relu6, maskedTaps);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row(ref float input, ref float output, float* taps, float bias, int k, int pad, int stride,
        int height, int inWidth, int outWidth, uint* masks, float* stage, bool relu6, int maskedTaps = -1)
    {
        bool fits = pad >= 0 && pad <= Guard && k - 1 - pad >= 0 && k - 1 - pad <= Guard;
        if (fits && stride == 1 && inWidth == outWidth) RowStride1(ref input, ref output, taps, bias, k, pad, height, inWidth, masks, stage, relu6, maskedTaps);
        else if (System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.IsSupported && stride == 2 && k == 3 && pad == 1 && inWidth == 2 * outWidth && outWidth >= 4)
            RowStride2K3AdvSimd(ref input, ref output, taps, bias, height, inWidth, outWidth, relu6); // ARM64: split in registers, no staging
        else if (fits && stride == 2 && inWidth == 2 * outWidth) RowStride2(ref input, ref output, 0, 1, taps, &bias, k, pad, height, inWidth, outWidth, masks, maskedTaps, stage, relu6);
        else
        {
            for (int y = 0; y < height; y++)
            {
                ref float inRow = ref Unsafe.Add(ref input, y * inWidth);
                ref float outRow = ref Unsafe.Add(ref output, y * outWidth);
                for (int ox = 0; ox < outWidth; ox++)
                {
                    float acc = Border(ref inRow, taps, bias, k, ox * stride - pad, inWidth);
                    Unsafe.Add(ref outRow, ox) = relu6 ? Simd.Relu6(acc) : acc;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowStride1(ref float input, ref float output, float* taps, float bias, int k, int pad, int height, int width, uint* masks, float* stage, bool relu6,
        int maskedTaps = -1)
    {
        int rows = RowBlockRows(height, width);
        nint block = (nint)rows * width;
        // the plane's first and last blocks are read from a copy with room around it: the flat loop
        // reads up to pad floats before and k-1-pad after (masked out, but they must be readable)
        nint* offsets = stackalloc nint[k];
        for (int t = 0; t < k; t++) offsets[t] = t - pad;
        for (int y0 = 0; y0 < height; y0 += rows)
        {
            int r = Math.Min(rows, height - y0);
            nint count = (nint)r * width;
            ref float src = ref Unsafe.Add(ref input, (nint)y0 * width);
            if (y0 == 0 || y0 + r == height)
            {
                Copy(ref src, stage + Guard, count);
                src = ref stage[Guard];
            }
            Taps(ref src, offsets, ref Unsafe.Add(ref output, (nint)y0 * width), taps, bias, k, count, masks, block, relu6, maskedTaps);
        }
    }

    /// <summary>
    /// Stride 2 for <paramref name="outputs"/> output planes (outPlane apart) that all read this
    /// input plane (a channel multiplier): each block is split once and serves all of them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowStride2(ref float input, ref float output, nint outPlane, int outputs, float* taps, float* bias, int k, int pad,
        int height, int inWidth, int outWidth, uint* masks, int maskedTaps, float* stage, bool relu6)
    {
        // With W = 2*OW, out[y][x] reads in[y][2x + d] = flat[2j + d] for the block's flat output
        // index j = r*OW + x: even d reads even[j + d/2], odd d reads odd[j + (d-1)/2], where
        // even[j] = flat[2j] and odd[j] = flat[2j + 1]. Staged as [guard][even][guard][odd][guard].
        int rows = RowBlockRows(height, inWidth);
        nint block = (nint)rows * outWidth;
        float* even = stage + Guard, odd = stage + 2 * Guard + block;
        nint* offsets = stackalloc nint[k];
        for (int t = 0; t < k; t++)
        {
            int d = t - pad;
            offsets[t] = (d & 1) == 0 ? Guard + (d >> 1) : 2 * Guard + block + ((d - 1) >> 1);
        }
        for (int y0 = 0; y0 < height; y0 += rows)
        {
            int r = Math.Min(rows, height - y0);
            nint count = (nint)r * outWidth;
            Deinterleave(ref Unsafe.Add(ref input, (nint)y0 * inWidth), ref *even, ref *odd, (int)count);
            for (int o = 0; o < outputs; o++)
                Taps(ref *stage, offsets, ref Unsafe.Add(ref output, o * outPlane + (nint)y0 * outWidth), taps + o * k, bias[o], k, count, masks, block, relu6, maskedTaps);
        }
    }

    /// <summary>Bit t set when some word of mask row t (of <paramref name="length"/> words) is zero: the taps a masked loop must mask.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int MaskedTaps(uint* masks, int k, nint length)
    {
        int bits = 0;
        for (int t = 0; t < k; t++)
            for (nint i = 0; i < length; i++)
                if (masks[t * length + i] == 0) { bits |= 1 << t; break; }
        return bits;
    }

    /// <summary>even[x] = row[2x], odd[x] = row[2x + 1] for x in [0, n).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Deinterleave(ref float row, ref float even, ref float odd, int n)
    {
        int x = 0;
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported)
        {
            for (; x + 8 <= n; x += 8)
            {
                var v0 = Vector256.LoadUnsafe(ref row, (nuint)(2 * x));
                var v1 = Vector256.LoadUnsafe(ref row, (nuint)(2 * x + 8));
                // [v0_0 v0_2 v1_0 v1_2 | v0_4 v0_6 v1_4 v1_6], then 64-bit lanes reordered 0,2,1,3
                var e = System.Runtime.Intrinsics.X86.Avx.Shuffle(v0, v1, 0b10_00_10_00);
                var o = System.Runtime.Intrinsics.X86.Avx.Shuffle(v0, v1, 0b11_01_11_01);
                System.Runtime.Intrinsics.X86.Avx2.Permute4x64(e.AsDouble(), 0b11_01_10_00).AsSingle().StoreUnsafe(ref even, (nuint)x);
                System.Runtime.Intrinsics.X86.Avx2.Permute4x64(o.AsDouble(), 0b11_01_10_00).AsSingle().StoreUnsafe(ref odd, (nuint)x);
            }
        }
        else if (System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.IsSupported)
        {
            for (; x + 4 <= n; x += 4)
            {
                var v0 = Vector128.LoadUnsafe(ref row, (nuint)(2 * x));
                var v1 = Vector128.LoadUnsafe(ref row, (nuint)(2 * x + 4));
                System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.UnzipEven(v0, v1).StoreUnsafe(ref even, (nuint)x);
                System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.UnzipOdd(v0, v1).StoreUnsafe(ref odd, (nuint)x);
            }
        }
        for (; x < n; x++)
        {
            Unsafe.Add(ref even, x) = Unsafe.Add(ref row, 2 * x);
            Unsafe.Add(ref odd, x) = Unsafe.Add(ref row, 2 * x + 1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Border(ref float inRow, float* taps, float bias, int k, int start, int inWidth)
    {
        float acc = bias;
        for (int t = 0; t < k; t++)
        {
            int ix = start + t;
            if ((uint)ix < (uint)inWidth) acc = Simd.Fma(Unsafe.Add(ref inRow, ix), taps[t], acc);
        }
        return acc;
    }
}
