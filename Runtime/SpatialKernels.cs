using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MicroNet.Aot.Runtime;

/// <summary>
/// The factorized spatial convolutions of MicroNet, one input plane into one output plane, with
/// all taps accumulated in registers per output vector (no read-modify-write per tap):
/// <see cref="Column"/> for k x 1 kernels (stride along H), <c>Row</c> for 1 x k kernels
/// (stride along W). Out-of-range taps are the zero padding of PyTorch's Conv2d.
/// </summary>
public static unsafe partial class SpatialKernels
{
    /// <summary>
    /// k x 1: out[oy][x] (+)= bias + sum_t taps[t] * in[oy*stride + t - pad][x]; rows of width
    /// <paramref name="width"/> (the same in and out). With <paramref name="accumulate"/> the
    /// result is added to the output (further input channels of a dense conv) and bias is ignored.
    /// </summary>
    public static void Column(ref float input, ref float output, float* taps, float bias, int k, int pad, int stride,
        int inHeight, int outHeight, nint width, bool accumulate)
    {
        if (!accumulate && pad >= 0 && pad <= k - 1)
        {
            if (stride == 1 && inHeight == outHeight) ColumnStride1(ref input, ref output, taps, bias, k, pad, inHeight, width);
            else ColumnRows(ref input, ref output, taps, bias, k, pad, stride, inHeight, outHeight, width);
            return;
        }
        ColumnGeneric(ref input, ref output, taps, bias, k, pad, stride, inHeight, outHeight, width, accumulate);
    }

    /// <summary>
    /// A whole depthwise k x 1 layer: output plane c = k x 1 conv of input plane
    /// <paramref name="inputPlanes"/>[c] with taps weights[c*k .. c*k + k) and bias[c]. The
    /// per-layer work (zero rows around the staging copy of small planes) is done once.
    /// </summary>
    public static void DepthwiseColumns(ref float input, ReadOnlySpan<int> inputPlanes, nint inPlane, ref float output, nint outPlane,
        float* weights, float* bias, int k, int pad, int stride, int inHeight, int outHeight, int width)
    {
        int channels = inputPlanes.Length;
        nint n = (nint)inHeight * width;
        bool small = n <= StagedPlaneFloats && pad >= 0 && pad <= k - 1;
        nint* offsets = stackalloc nint[k];
        if (small && stride == 1 && inHeight == outHeight)
        {
            // each plane is copied between zero rows and run as one flat loop
            nint above = pad * width, below = (k - 1 - pad) * width;
            float* stage = stackalloc float[(int)(above + n + below)];
            new Span<float>(stage, (int)(above + n + below)).Clear();
            for (int t = 0; t < k; t++) offsets[t] = t * width; // output row y, tap t reads staged row y + t
            for (int c = 0; c < channels; c++)
            {
                if (c == 0 || inputPlanes[c] != inputPlanes[c - 1]) // outputs of one input plane (a channel multiplier) share the copy
                    Copy(ref Unsafe.Add(ref input, inputPlanes[c] * inPlane), stage + above, n);
                Taps(ref *stage, offsets, ref Unsafe.Add(ref output, c * outPlane), weights + c * k, bias[c], k, n, null, 0, relu6: false);
            }
            return;
        }
        if (stride == 2 && Vector256.IsHardwareAccelerated && (k == 3 || k == 5) && pad == k / 2 && width >= 16 && outHeight == (inHeight - 1) / 2 + 1)
        {
            // rows of 16+ floats (A/B per layer on M2: 0.79-0.87x against the staged blocks and the
            // row-by-row loop; on 14-float rows, two overlapping vectors per row, 1.06x: those keep the blocks)
            for (int c = 0; c < channels; c++)
                ColumnStride2Pairs(ref Unsafe.Add(ref input, inputPlanes[c] * inPlane), ref Unsafe.Add(ref output, c * outPlane), weights + c * k, bias[c],
                    k, inHeight, outHeight, width);
            return;
        }
        int evenRows = (inHeight + 1) / 2, guardRows = k;
        if (small && stride == 2 && evenRows <= outHeight + guardRows)
        {
            // Output row oy reads input row 2*oy + d (d = t - pad): with the even input rows and the
            // odd ones staged as two blocks between zero rows, that is row oy + floor(d/2) of one
            // block, the same for every oy: a single flat loop over the output plane.
            nint blockRows = guardRows + outHeight + guardRows;
            float* stage = stackalloc float[(int)(2 * blockRows * width)];
            new Span<float>(stage, (int)(2 * blockRows * width)).Clear(); // rows past the data stay zero
            float* even = stage + guardRows * width, odd = stage + (blockRows + guardRows) * width;
            for (int t = 0; t < k; t++)
            {
                int d = t - pad;
                offsets[t] = (nint)(((d & 1) == 0 ? even - stage : odd - stage) + (d >> 1) * (nint)width); // d >> 1 = floor(d / 2)
            }
            for (int c = 0; c < channels; c++)
            {
                ref float plane = ref Unsafe.Add(ref input, inputPlanes[c] * inPlane);
                if (c == 0 || inputPlanes[c] != inputPlanes[c - 1])
                    for (int r = 0; r < inHeight; r++)
                        Copy(ref Unsafe.Add(ref plane, (nint)r * width), ((r & 1) == 0 ? even : odd) + (r >> 1) * (nint)width, width);
                Taps(ref *stage, offsets, ref Unsafe.Add(ref output, c * outPlane), weights + c * k, bias[c], k, (nint)outHeight * width, null, 0, relu6: false);
            }
            return;
        }
        for (int c = 0; c < channels; c++)
            Column(ref Unsafe.Add(ref input, inputPlanes[c] * inPlane), ref Unsafe.Add(ref output, c * outPlane), weights + c * k, bias[c],
                k, pad, stride, inHeight, outHeight, width, accumulate: false);
    }

    /// <summary>
    /// out[y][x] = bias + sum_t taps[t] * rows[y * rowStride + x + offsets[t]] for rows staged with
    /// their zero padding around them. Rows of 8 or more floats end in an overlapping vector; rows
    /// of 4 to 7 floats take one vector each, whose lanes past the row end land on the next row's
    /// start before that row is computed (at most 4 floats: never past the next row). The block's
    /// last row may do so only with <paramref name="spillPastBlock"/> (something computed later
    /// follows it in the output).
    /// </summary>
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
                    var acc = Kernels.Fma(Vector256.Load(at + o0), w0, b);
                    acc = Kernels.Fma(Vector256.Load(at + o1), w1, acc);
                    acc = Kernels.Fma(Vector256.Load(at + o2), w2, acc);
                    if (k == 5)
                    {
                        acc = Kernels.Fma(Vector256.Load(at + o3), w3, acc);
                        acc = Kernels.Fma(Vector256.Load(at + o4), w4, acc);
                    }
                    if (relu6) acc = Kernels.Relu6(acc);
                    acc.StoreUnsafe(ref outRow, (nuint)x);
                    if (x >= width - 8) break;
                }
            }
        }
        for (int y = vectorRows; y < height; y++)
            Taps(ref *(rows + y * rowStride), offsets, ref Unsafe.Add(ref output, (nint)y * width), taps, bias, k, width, null, 0, relu6);
    }

    /// <summary>dst[i] = src[i] for i in [0, n) into a stack buffer (<see cref="Kernels.Copy"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(ref float src, float* dst, nint n) => Kernels.Copy(ref src, ref *dst, n);

    /// <summary>Largest plane <see cref="RowsInPlace"/> takes (its mask table, k x n words, is on the stack and should stay in L1).</summary>
    private const int InPlacePlaneFloats = 1024;

    /// <summary>
    /// Depthwise 1 x k, stride 1, over whole planes read in place: out[j] = bias + sum_t taps[t] *
    /// in[j + t - pad], one flat loop over the plane, each product masked off where its tap leaves
    /// the row, which is exactly PyTorch's zero padding. No staging copy: a masked read past the
    /// plane lands in the neighbouring plane of the same tensor. Only the lowest and the highest
    /// plane, whose neighbours would lie outside the tensor, are copied into a buffer first.
    /// (Measured on M3: 0.5-0.7x the gapped rows' time on 7x7 planes, 0.8-0.9x on 14x14 and 28x28.
    /// The same for k x 1 with a mask table was 1.4-2.3x slower than copying the plane between zero
    /// rows; with masks from a row-index compare it is what <see cref="DepthwisePair"/> does.)
    /// </summary>
    private static void RowsInPlace(ref float input, ReadOnlySpan<int> inputPlanes, nint inPlane, ref float output, nint outPlane,
        float* weights, float* bias, int k, int pad, int height, int width, bool relu6)
    {
        nint n = (nint)height * width;
        Span<int> columns = stackalloc int[(int)n];
        var rows = new RowMasking(columns, stackalloc uint[CompareMasks(k, pad) ? 0 : (int)(k * n)], stackalloc nint[k], k, pad, height, width);
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
            if (k == 3 && CompareMasks(k, pad) && c + 1 < inputPlanes.Length && inputPlanes[c + 1] == p)
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
    private static bool CompareMasks(int k, int pad) => Vector256.IsHardwareAccelerated && (k == 3 || k == 5) && pad == k / 2;

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
            if (CompareMasks(k, pad)) return;
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
                if (_k == 3 && CompareMasks(_k, _pad)) IndexMaskedTaps3(ref src, ref dst, taps, bias, n, columns, _width, 1, relu6);
                else if (_k == 5 && CompareMasks(_k, _pad)) IndexMaskedTaps5(ref src, ref dst, taps, bias, n, columns, _width, 1, relu6);
                else Taps(ref src, offsets, ref dst, taps, bias, _k, n, masks, n, relu6, _maskedTaps);
            }
        }
    }

    /// <summary>
    /// A centred 3-tap conv along one axis of a flat plane: out[j] = bias + sum_t taps[t] *
    /// in[j + (t - 1) * step], where <paramref name="index"/>[j] is position j's coordinate along
    /// that axis (its column for 1 x 3, step 1; its row for 3 x 1, step = width) and a tap is kept
    /// only where that coordinate plus t - 1 lies in [0, <paramref name="limit"/>): masks from two
    /// compares per vector, no mask table.
    /// </summary>
    private static void IndexMaskedTaps3(ref float src, ref float dst, float* taps, float bias, nint count, int* index, int limit, nint step, bool relu6,
        nint interiorFrom = 0, nint interiorTo = 0)
    {
        var w0 = Vector256.Create(taps[0]); var w1 = Vector256.Create(taps[1]); var w2 = Vector256.Create(taps[2]);
        var b = Vector256.Create(bias);
        var zero = Vector256<int>.Zero; var beforeLast = Vector256.Create(limit - 1);
        ref float before = ref Unsafe.Subtract(ref src, step);
        ref float after = ref Unsafe.Add(ref src, step);
        nint j = 0;
        // vectors before the interior, the interior unmasked (see IndexMaskedTaps5), then the rest
        for (; j < interiorFrom; j += 8)
            Clamp(Masked3(ref before, ref src, ref after, index, j, w0, w1, w2, b, zero, beforeLast), relu6).StoreUnsafe(ref dst, (nuint)j);
        for (; j < interiorTo; j += 8)
        {
            var acc = Kernels.Fma(Vector256.LoadUnsafe(ref before, (nuint)j), w0, b);
            acc = Kernels.Fma(Vector256.LoadUnsafe(ref src, (nuint)j), w1, acc);
            acc = Kernels.Fma(Vector256.LoadUnsafe(ref after, (nuint)j), w2, acc);
            Clamp(acc, relu6).StoreUnsafe(ref dst, (nuint)j);
        }
        for (; ; j += 8)
        {
            if (j > count - 8) j = count - 8; // the overlapping last vector
            Clamp(Masked3(ref before, ref src, ref after, index, j, w0, w1, w2, b, zero, beforeLast), relu6).StoreUnsafe(ref dst, (nuint)j);
            if (j == count - 8) return;
        }
    }

    /// <summary>One output vector of <see cref="IndexMaskedTaps3"/> at j, the outer taps masked by comparing the coordinates.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Masked3(ref float before, ref float src, ref float after, int* index, nint j,
        Vector256<float> w0, Vector256<float> w1, Vector256<float> w2, Vector256<float> b, Vector256<int> zero, Vector256<int> beforeLast)
    {
        var at = Vector256.Load(index + j);
        var acc = Kernels.Fma(Vector256.LoadUnsafe(ref before, (nuint)j) & Vector256.GreaterThan(at, zero).AsSingle(), w0, b);
        acc = Kernels.Fma(Vector256.LoadUnsafe(ref src, (nuint)j), w1, acc);
        return Kernels.Fma(Vector256.LoadUnsafe(ref after, (nuint)j) & Vector256.GreaterThan(beforeLast, at).AsSingle(), w2, acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Clamp(Vector256<float> v, bool relu6) => relu6 ? Kernels.Relu6(v) : v;

    /// <summary>
    /// <see cref="IndexMaskedTaps3"/> along rows (step 1) for two outputs of the same plane (a
    /// channel multiplier of 2): output o at dst + o * dstPlane with taps taps[3o ..] and bias[o];
    /// each input vector and mask computed once for both. Each output summed as by the one-output loop.
    /// </summary>
    private static void IndexMaskedTaps3x2(ref float src, ref float dst, nint dstPlane, float* taps, float* bias, nint count, int* index, int limit, bool relu6)
    {
        var w0 = Vector256.Create(taps[0]); var w1 = Vector256.Create(taps[1]); var w2 = Vector256.Create(taps[2]);
        var u0 = Vector256.Create(taps[3]); var u1 = Vector256.Create(taps[4]); var u2 = Vector256.Create(taps[5]);
        var b0 = Vector256.Create(bias[0]); var b1 = Vector256.Create(bias[1]);
        var zero = Vector256<int>.Zero; var beforeLast = Vector256.Create(limit - 1);
        ref float before = ref Unsafe.Subtract(ref src, 1);
        ref float after = ref Unsafe.Add(ref src, 1);
        ref float dst1 = ref Unsafe.Add(ref dst, dstPlane);
        for (nint j = 0; ; j += 8)
        {
            if (j > count - 8) j = count - 8; // the overlapping last vector
            var at = Vector256.Load(index + j);
            var left = Vector256.LoadUnsafe(ref before, (nuint)j) & Vector256.GreaterThan(at, zero).AsSingle();
            var centre = Vector256.LoadUnsafe(ref src, (nuint)j);
            var right = Vector256.LoadUnsafe(ref after, (nuint)j) & Vector256.GreaterThan(beforeLast, at).AsSingle();
            var acc0 = Kernels.Fma(right, w2, Kernels.Fma(centre, w1, Kernels.Fma(left, w0, b0)));
            var acc1 = Kernels.Fma(right, u2, Kernels.Fma(centre, u1, Kernels.Fma(left, u0, b1)));
            if (relu6) { acc0 = Kernels.Relu6(acc0); acc1 = Kernels.Relu6(acc1); }
            acc0.StoreUnsafe(ref dst, (nuint)j);
            acc1.StoreUnsafe(ref dst1, (nuint)j);
            if (j == count - 8) return;
        }
    }

    /// <summary>The 5-tap <see cref="IndexMaskedTaps3"/>: taps -2 / -1 kept where the coordinate is above 1 / 0, +1 / +2 where it is below limit - 1 / limit - 2.</summary>
    private static void IndexMaskedTaps5(ref float src, ref float dst, float* taps, float bias, nint count, int* index, int limit, nint step, bool relu6,
        nint interiorFrom = 0, nint interiorTo = 0)
    {
        var w0 = Vector256.Create(taps[0]); var w1 = Vector256.Create(taps[1]); var w2 = Vector256.Create(taps[2]);
        var w3 = Vector256.Create(taps[3]); var w4 = Vector256.Create(taps[4]);
        var b = Vector256.Create(bias);
        var one = Vector256<int>.One; var zero = Vector256<int>.Zero;
        var beforeLast = Vector256.Create(limit - 1); var beforeLast2 = Vector256.Create(limit - 2);
        ref float before2 = ref Unsafe.Subtract(ref src, 2 * step);
        ref float before = ref Unsafe.Subtract(ref src, step);
        ref float after = ref Unsafe.Add(ref src, step);
        ref float after2 = ref Unsafe.Add(ref src, 2 * step);
        nint j = 0;
        // the vectors before [interiorFrom, interiorTo) masked; those in it - whole vectors whose
        // every tap stays inside (a caller's guarantee) - unmasked, which all-ones masks would not
        // change (the same sums bit for bit); the rest masked, the last vector overlapping
        for (; j < interiorFrom; j += 8)
            Clamp(Masked5(ref before2, ref before, ref src, ref after, ref after2, index, j, w0, w1, w2, w3, w4, b, one, zero, beforeLast, beforeLast2), relu6)
                .StoreUnsafe(ref dst, (nuint)j);
        for (; j < interiorTo; j += 8)
        {
            var acc = Kernels.Fma(Vector256.LoadUnsafe(ref before2, (nuint)j), w0, b);
            acc = Kernels.Fma(Vector256.LoadUnsafe(ref before, (nuint)j), w1, acc);
            acc = Kernels.Fma(Vector256.LoadUnsafe(ref src, (nuint)j), w2, acc);
            acc = Kernels.Fma(Vector256.LoadUnsafe(ref after, (nuint)j), w3, acc);
            acc = Kernels.Fma(Vector256.LoadUnsafe(ref after2, (nuint)j), w4, acc);
            Clamp(acc, relu6).StoreUnsafe(ref dst, (nuint)j);
        }
        for (; ; j += 8)
        {
            if (j > count - 8) j = count - 8; // the overlapping last vector
            Clamp(Masked5(ref before2, ref before, ref src, ref after, ref after2, index, j, w0, w1, w2, w3, w4, b, one, zero, beforeLast, beforeLast2), relu6)
                .StoreUnsafe(ref dst, (nuint)j);
            if (j == count - 8) return;
        }
    }

    /// <summary>One output vector of <see cref="IndexMaskedTaps5"/> at j, the four outer taps masked by comparing the coordinates.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Masked5(ref float before2, ref float before, ref float src, ref float after, ref float after2, int* index, nint j,
        Vector256<float> w0, Vector256<float> w1, Vector256<float> w2, Vector256<float> w3, Vector256<float> w4, Vector256<float> b,
        Vector256<int> one, Vector256<int> zero, Vector256<int> beforeLast, Vector256<int> beforeLast2)
    {
        var at = Vector256.Load(index + j);
        var acc = Kernels.Fma(Vector256.LoadUnsafe(ref before2, (nuint)j) & Vector256.GreaterThan(at, one).AsSingle(), w0, b);
        acc = Kernels.Fma(Vector256.LoadUnsafe(ref before, (nuint)j) & Vector256.GreaterThan(at, zero).AsSingle(), w1, acc);
        acc = Kernels.Fma(Vector256.LoadUnsafe(ref src, (nuint)j), w2, acc);
        acc = Kernels.Fma(Vector256.LoadUnsafe(ref after, (nuint)j) & Vector256.GreaterThan(beforeLast, at).AsSingle(), w3, acc);
        return Kernels.Fma(Vector256.LoadUnsafe(ref after2, (nuint)j) & Vector256.GreaterThan(beforeLast2, at).AsSingle(), w4, acc);
    }

    /// <summary>
    /// A centred 1 x k (k = 3 or 5) over a plane whose rows hold 10-16 floats, read from
    /// <paramref name="src"/> (whose neighbours, up to 8 floats either side, are readable): each
    /// output row as a vector at its first column and one ending at its last (overlapping in the
    /// middle). In the first vector only the taps left of the centre can leave the row (lanes 0..1),
    /// in the second only those right of it (the last lanes), so the masks are four constants
    /// instead of a compare per tap and vector. Taps summed t = 0..k-1 from the bias, a tap outside
    /// the row adding a zero as in the flat masked loop: the same sums bit for bit.
    /// </summary>
    private static void RowTaps5TwoVectors(float* src, ref float dst, float* taps, float bias, int k, int height, int width, bool relu6)
    {
        var lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        var lastLanes = lanes + Vector256.Create(width - 8); // the second vector's columns
        // left of centre (first vector): tap d = -1, -2 keeps lanes >= -d; right (second vector): d = 1, 2 keeps columns < width - d
        var keepL1 = Vector256.GreaterThanOrEqual(lanes, Vector256.Create(1)).AsSingle();
        var keepL2 = Vector256.GreaterThanOrEqual(lanes, Vector256.Create(2)).AsSingle();
        var keepR1 = Vector256.LessThan(lastLanes, Vector256.Create(width - 1)).AsSingle();
        var keepR2 = Vector256.LessThan(lastLanes, Vector256.Create(width - 2)).AsSingle();
        var b = Vector256.Create(bias);
        nint last = width - 8;
        if (k == 3)
        {
            var w0 = Vector256.Create(taps[0]); var w1 = Vector256.Create(taps[1]); var w2 = Vector256.Create(taps[2]);
            for (int y = 0; y < height; y++, src += width, dst = ref Unsafe.Add(ref dst, width))
            {
                var left = Kernels.Fma(Vector256.Load(src - 1) & keepL1, w0, b);
                left = Kernels.Fma(Vector256.Load(src), w1, left);
                left = Kernels.Fma(Vector256.Load(src + 1), w2, left);
                float* r = src + last;
                var right = Kernels.Fma(Vector256.Load(r - 1), w0, b);
                right = Kernels.Fma(Vector256.Load(r), w1, right);
                right = Kernels.Fma(Vector256.Load(r + 1) & keepR1, w2, right);
                if (relu6) { left = Kernels.Relu6(left); right = Kernels.Relu6(right); }
                left.StoreUnsafe(ref dst);
                right.StoreUnsafe(ref dst, (nuint)last);
            }
            return;
        }
        {
            var w0 = Vector256.Create(taps[0]); var w1 = Vector256.Create(taps[1]); var w2 = Vector256.Create(taps[2]);
            var w3 = Vector256.Create(taps[3]); var w4 = Vector256.Create(taps[4]);
            for (int y = 0; y < height; y++, src += width, dst = ref Unsafe.Add(ref dst, width))
            {
                var left = Kernels.Fma(Vector256.Load(src - 2) & keepL2, w0, b);
                left = Kernels.Fma(Vector256.Load(src - 1) & keepL1, w1, left);
                left = Kernels.Fma(Vector256.Load(src), w2, left);
                left = Kernels.Fma(Vector256.Load(src + 1), w3, left);
                left = Kernels.Fma(Vector256.Load(src + 2), w4, left);
                float* r = src + last;
                var right = Kernels.Fma(Vector256.Load(r - 2), w0, b);
                right = Kernels.Fma(Vector256.Load(r - 1), w1, right);
                right = Kernels.Fma(Vector256.Load(r), w2, right);
                right = Kernels.Fma(Vector256.Load(r + 1) & keepR1, w3, right);
                right = Kernels.Fma(Vector256.Load(r + 2) & keepR2, w4, right);
                if (relu6) { left = Kernels.Relu6(left); right = Kernels.Relu6(right); }
                left.StoreUnsafe(ref dst);
                right.StoreUnsafe(ref dst, (nuint)last);
            }
        }
    }

    /// <summary>Largest intermediate plane (floats) <see cref="DepthwisePair"/> runs from L1; generators fuse only pairs up to it.</summary>
    public const int PairPlaneFloats = InPlacePlaneFloats;

    /// <summary>
    /// A depthwise k x 1 conv (stride 1) and the depthwise 1 x k conv (stride 1, one output per
    /// plane) that reads nothing but its output, run plane by plane: intermediate plane m is the
    /// k x 1 conv (columnWeights[m*columnK ..], columnBias[m]) of input plane
    /// <paramref name="inputPlanes"/>[m], kept in a stack buffer (L1) instead of the arena, and output
    /// plane m is the 1 x k conv of it (rowWeights[m*rowK ..], rowBias[m]), clamped to [0, 6] with
    /// <paramref name="relu6"/>. Each value is summed exactly as by the two layers apart.
    /// </summary>
    public static void DepthwisePair(ref float input, ReadOnlySpan<int> inputPlanes, nint inPlane, ref float output, nint outPlane,
        float* columnWeights, float* columnBias, int columnK, int columnPad, float* rowWeights, float* rowBias, int rowK, int rowPad,
        int height, int width, bool relu6)
    {
        nint n = (nint)height * width;
#if NET9_0_OR_GREATER
        if (PairRowsApplies(columnK, columnPad, rowK, rowPad, width))
        {
            // AVX-512: a plane row per vector, the intermediate row never leaving its register
            PairRows(ref input, inputPlanes, inPlane, ref output, outPlane, columnWeights, columnBias, columnK, rowWeights, rowBias, rowK, height, width, relu6);
            return;
        }
#endif
        if (width <= PairBlocks8Stride1MaxWidth)
        {
            // small planes: eight channels at a time, channel-blocked on the stack (bit for bit the same sums)
            int done = PairBlocks8(ref input, inputPlanes, inPlane, ref output, outPlane, columnWeights, columnBias, columnK, columnPad,
                rowWeights, rowBias, rowK, rowPad, 1, height, width, relu6);
            if (done == inputPlanes.Length) return;
            inputPlanes = inputPlanes.Slice(done);
            output = ref Unsafe.Add(ref output, done * outPlane);
            columnWeights += done * columnK; columnBias += done;
            rowWeights += done * rowK; rowBias += done;
        }
        // the intermediate plane with a guard either side: the row taps read up to rowK - 1 floats past it (masked)
        float* middle = stackalloc float[(int)n + 2 * Guard];
        new Span<float>(middle, (int)n + 2 * Guard).Clear();
        float* plane = middle + Guard;
        bool fits = n >= 8 && n <= PairPlaneFloats && inPlane == n && columnPad >= 0 && columnPad < columnK &&
            rowPad >= 0 && rowPad < rowK && rowK - 1 <= Guard;
        if (!fits)
        {
            // any other shape: the single-plane kernels through the same stack plane
            for (int m = 0; m < inputPlanes.Length; m++)
            {
                Column(ref Unsafe.Add(ref input, inputPlanes[m] * inPlane), ref *plane, columnWeights + m * columnK, columnBias[m],
                    columnK, columnPad, 1, height, height, width, accumulate: false);
                Row(ref *plane, ref Unsafe.Add(ref output, m * outPlane), rowWeights + m * rowK, rowBias[m], rowK, rowPad, 1, height, width, width, relu6);
            }
            return;
        }
        // k x 1: the input plane copied between zero rows, one flat unmasked loop (as DepthwiseColumns)
        nint above = columnPad * (nint)width, below = (columnK - 1 - columnPad) * (nint)width;
        float* stage = stackalloc float[(int)(above + n + below)];
        new Span<float>(stage, (int)(above + n + below)).Clear();
        // 1 x k: the flat loop over the plane with the taps that leave a row masked (as RowsInPlace)
        var rows = new RowMasking(stackalloc int[(int)n], stackalloc uint[CompareMasks(rowK, rowPad) ? 0 : (int)(rowK * n)], stackalloc nint[rowK],
            rowK, rowPad, height, width);
        if (CompareMasks(columnK, columnPad) && height >= columnK)
        {
            // with AVX the k x 1 reads its plane in place too (its masked reads reach at most one
            // neighbouring plane: the plane has at least k rows), the taps that leave the plane masked
            // by comparing a row-index vector; only the lowest and highest input plane (whose
            // neighbours lie outside the tensor) are staged. Measured against the staged copy:
            // 0.85x per 7x7 pair, even on 14x14.
            int* rowIndex = stackalloc int[(int)n];
            for (int y = 0, j = 0; y < height; y++)
                for (int x = 0; x < width; x++) rowIndex[j++] = y;
            int lowest = int.MaxValue, highest = int.MinValue;
            foreach (int p in inputPlanes) { lowest = Math.Min(lowest, p); highest = Math.Max(highest, p); }
            // rows of 10-16 floats (the 14x14 stage): the 1 x k row by row as two overlapping vectors
            // whose edge taps are masked by constants, instead of the flat loop's per-vector compares
            bool rowsOfTwoVectors = (rowK == 3 || rowK == 5) && rowPad == rowK / 2 && width >= 10 && width <= 16;
            // the k x 1's vectors wholly inside rows pad .. height - 1 - pad (17 of 25 on 14x14, k = 5)
            // run unmasked: 0.90-0.94x per 14x14 pair on M3
            nint interiorFrom = (columnPad * (nint)width + 7) & ~(nint)7, interiorTo = (height - columnPad) * (nint)width & ~(nint)7;
            if (interiorTo - interiorFrom < 8 || n - interiorTo < 8) interiorFrom = interiorTo = 0;
            for (int m = 0; m < inputPlanes.Length; m++)
            {
                int p = inputPlanes[m];
                ref float source = ref Unsafe.Add(ref input, p * inPlane);
                if (p == lowest || p == highest)
                {
                    if (m == 0 || inputPlanes[m - 1] != p) Copy(ref source, stage + above, n);
                    source = ref *(stage + above);
                }
                if (columnK == 3) IndexMaskedTaps3(ref source, ref *plane, columnWeights + m * 3, columnBias[m], n, rowIndex, height, width, relu6: false, interiorFrom, interiorTo);
                else IndexMaskedTaps5(ref source, ref *plane, columnWeights + m * 5, columnBias[m], n, rowIndex, height, width, relu6: false, interiorFrom, interiorTo);
                if (rowsOfTwoVectors)
                    RowTaps5TwoVectors(plane, ref Unsafe.Add(ref output, m * outPlane), rowWeights + m * rowK, rowBias[m], rowK, height, width, relu6);
                else
                    rows.Run(ref *plane, ref Unsafe.Add(ref output, m * outPlane), rowWeights + m * rowK, rowBias[m], n, relu6);
            }
            return;
        }
        nint* columnOffsets = stackalloc nint[columnK];
        for (int t = 0; t < columnK; t++) columnOffsets[t] = t * (nint)width; // output row y, tap t reads staged row y + t
        for (int m = 0; m < inputPlanes.Length; m++)
        {
            if (m == 0 || inputPlanes[m] != inputPlanes[m - 1]) // outputs of one input plane (a channel multiplier) share the copy
                Copy(ref Unsafe.Add(ref input, inputPlanes[m] * inPlane), stage + above, n);
            Taps(ref *stage, columnOffsets, ref *plane, columnWeights + m * columnK, columnBias[m], columnK, n, null, 0, relu6: false);
            rows.Run(ref *plane, ref Unsafe.Add(ref output, m * outPlane), rowWeights + m * rowK, rowBias[m], n, relu6);
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
                    acc = Kernels.Fma(tapMinus1, Vector256.Create(w[0]), Vector256.Create(bias[o]));
                    acc = Kernels.Fma(tap0, Vector256.Create(w[1]), acc);
                    acc = Kernels.Fma(tapPlus1, Vector256.Create(w[2]), acc);
                }
                else
                {
                    acc = Kernels.Fma(tapMinus2, Vector256.Create(w[0]), Vector256.Create(bias[o]));
                    acc = Kernels.Fma(tapMinus1, Vector256.Create(w[1]), acc);
                    acc = Kernels.Fma(tap0, Vector256.Create(w[2]), acc);
                    acc = Kernels.Fma(tapPlus1, Vector256.Create(w[3]), acc);
                    acc = Kernels.Fma(tapPlus2, Vector256.Create(w[4]), acc);
                }
                if (relu6) acc = Kernels.Relu6(acc);
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
                        var acc = Kernels.Fma(tapMinus1, Vector256.Create(w[0]), Vector256.Create(bias[o]));
                        acc = Kernels.Fma(tap0, Vector256.Create(w[1]), acc);
                        acc = Kernels.Fma(tapPlus1, Vector256.Create(w[2]), acc);
                        if (relu6) acc = Kernels.Relu6(acc);
                        Avx2.Permute4x64(acc.AsDouble(), Unscramble).AsSingle().StoreUnsafe(ref Unsafe.Add(ref outRow, (o - c0) * outPlane + j));
                    }
                    if (j == lastStart) break;
                }
            }
        }
    }

    private static int Gcd(int a, int b) { while (b != 0) (a, b) = (b, a % b); return a; }

    /// <summary>
    /// A whole depthwise 1 x k layer: output plane c = 1 x k conv of input plane
    /// <paramref name="inputPlanes"/>[c] with taps weights[c*k .. c*k + k) and bias[c], clamped to
    /// [0, 6] with <paramref name="relu6"/>. The mask table is built once for all planes.
    /// </summary>
    public static void DepthwiseRows(ref float input, ReadOnlySpan<int> inputPlanes, nint inPlane, ref float output, nint outPlane,
        float* weights, float* bias, int k, int pad, int stride, int height, int inWidth, int outWidth, bool relu6)
    {
        nint planeFloats = (nint)height * inWidth;
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

    /// <summary>Largest plane <see cref="ColumnStride1"/> copies between zero rows (the copy stays in L1).</summary>
    private const int StagedPlaneFloats = 4096;

    /// <summary>
    /// k x 1, stride 1: out[j] = bias + sum_t taps[t] * in[j + (t - pad) * width] over the flat plane,
    /// where rows above and below the plane are zeros. Small planes are copied between zero rows
    /// first (one flat loop, no edge cases); large ones run the interior rows flat in place and the
    /// few edge rows with their valid taps only.
    /// </summary>
    private static void ColumnStride1(ref float input, ref float output, float* taps, float bias, int k, int pad, int height, nint width)
    {
        nint n = height * width;
        nint* offsets = stackalloc nint[k];
        if (n <= StagedPlaneFloats)
        {
            nint above = pad * width, below = (k - 1 - pad) * width;
            float* stage = stackalloc float[(int)(above + n + below)];
            new Span<float>(stage, (int)above).Clear();
            new Span<float>(stage + above + n, (int)below).Clear();
            Copy(ref input, stage + above, n);
            for (int t = 0; t < k; t++) offsets[t] = t * width; // output row y, tap t reads staged row y + t
            Taps(ref *stage, offsets, ref output, taps, bias, k, n, null, 0, relu6: false);
            return;
        }
        int first = pad, end = height - (k - 1 - pad); // rows whose k taps are all inside
        if (end > first)
        {
            for (int t = 0; t < k; t++) offsets[t] = (t - pad) * width;
            Taps(ref Unsafe.Add(ref input, first * width), offsets, ref Unsafe.Add(ref output, first * width), taps, bias, k, (end - first) * width, null, 0, relu6: false);
        }
        for (int oy = 0; oy < height; oy++)
        {
            if (oy >= first && oy < end) { oy = end - 1; continue; }
            ColumnEdgeRow(ref input, ref output, taps, bias, k, pad, 1, height, oy, width);
        }
    }

    /// <summary>
    /// k x 1, stride 2, pad k / 2 (k = 3 or 5), AVX, read in place: output rows two at a time, the
    /// k + 2 input rows they read loaded once per vector and shared (rows 2y - pad .. 2y - pad + k - 1
    /// feed output row y, two rows further down feed row y + 1): k + 2 loads and two stores per two
    /// output vectors, where copying the even and odd rows into blocks first cost two more loads and
    /// stores per output vector. Rows whose taps leave the plane keep only the taps inside.
    /// </summary>
    private static void ColumnStride2Pairs(ref float input, ref float output, float* taps, float bias, int k, int inHeight, int outHeight, nint width)
    {
        int pad = k / 2;
        var w0 = Vector256.Create(taps[0]); var w1 = Vector256.Create(taps[1]); var w2 = Vector256.Create(taps[2]);
        var w3 = k == 5 ? Vector256.Create(taps[3]) : default; var w4 = k == 5 ? Vector256.Create(taps[4]) : default;
        var b = Vector256.Create(bias);
        for (int oy = 0; oy < outHeight;)
        {
            int top = 2 * oy - pad; // first input row of output row oy
            if (top < 0 || top + k > inHeight)
            {
                ColumnEdgeRow(ref input, ref output, taps, bias, k, pad, 2, inHeight, oy, width);
                oy++;
                continue;
            }
            ref float rows = ref Unsafe.Add(ref input, top * width);
            ref float out0 = ref Unsafe.Add(ref output, oy * width);
            if (oy + 1 < outHeight && top + k + 2 <= inHeight)
            {
                ref float out1 = ref Unsafe.Add(ref out0, width);
                for (nint x = 0; ; x += 8)
                {
                    if (x > width - 8) x = width - 8; // the overlapping last vector
                    ref float at = ref Unsafe.Add(ref rows, x);
                    var r0 = Vector256.LoadUnsafe(ref at);
                    var r1 = Vector256.LoadUnsafe(ref at, (nuint)width);
                    var r2 = Vector256.LoadUnsafe(ref at, (nuint)(2 * width));
                    var r3 = Vector256.LoadUnsafe(ref at, (nuint)(3 * width));
                    var r4 = Vector256.LoadUnsafe(ref at, (nuint)(4 * width));
                    Vector256<float> a0, a1;
                    if (k == 3)
                    {
                        a0 = Kernels.Fma(r2, w2, Kernels.Fma(r1, w1, Kernels.Fma(r0, w0, b)));
                        a1 = Kernels.Fma(r4, w2, Kernels.Fma(r3, w1, Kernels.Fma(r2, w0, b)));
                    }
                    else
                    {
                        var r5 = Vector256.LoadUnsafe(ref at, (nuint)(5 * width));
                        var r6 = Vector256.LoadUnsafe(ref at, (nuint)(6 * width));
                        a0 = Kernels.Fma(r4, w4, Kernels.Fma(r3, w3, Kernels.Fma(r2, w2, Kernels.Fma(r1, w1, Kernels.Fma(r0, w0, b)))));
                        a1 = Kernels.Fma(r6, w4, Kernels.Fma(r5, w3, Kernels.Fma(r4, w2, Kernels.Fma(r3, w1, Kernels.Fma(r2, w0, b)))));
                    }
                    a0.StoreUnsafe(ref out0, (nuint)x);
                    a1.StoreUnsafe(ref out1, (nuint)x);
                    if (x == width - 8) break;
                }
                oy += 2;
                continue;
            }
            for (nint x = 0; ; x += 8)
            {
                if (x > width - 8) x = width - 8;
                ref float at = ref Unsafe.Add(ref rows, x);
                var a0 = Kernels.Fma(Vector256.LoadUnsafe(ref at, (nuint)(2 * width)), w2,
                    Kernels.Fma(Vector256.LoadUnsafe(ref at, (nuint)width), w1, Kernels.Fma(Vector256.LoadUnsafe(ref at), w0, b)));
                if (k == 5)
                    a0 = Kernels.Fma(Vector256.LoadUnsafe(ref at, (nuint)(4 * width)), w4, Kernels.Fma(Vector256.LoadUnsafe(ref at, (nuint)(3 * width)), w3, a0));
                a0.StoreUnsafe(ref out0, (nuint)x);
                if (x == width - 8) break;
            }
            oy++;
        }
    }

    /// <summary>k x 1 with any stride, row by row: rows with all taps inside run the flat tap loop, edge rows their valid taps.</summary>
    private static void ColumnRows(ref float input, ref float output, float* taps, float bias, int k, int pad, int stride, int inHeight, int outHeight, nint width)
    {
        nint* offsets = stackalloc nint[k];
        for (int t = 0; t < k; t++) offsets[t] = t * width;
        for (int oy = 0; oy < outHeight; oy++)
        {
            int top = oy * stride - pad;
            if (top >= 0 && top + k <= inHeight)
                Taps(ref Unsafe.Add(ref input, top * width), offsets, ref Unsafe.Add(ref output, oy * width), taps, bias, k, width, null, 0, relu6: false);
            else
                ColumnEdgeRow(ref input, ref output, taps, bias, k, pad, stride, inHeight, oy, width);
        }
    }

    /// <summary>One output row of a k x 1 conv whose taps are partly outside the input (top or bottom rows).</summary>
    private static void ColumnEdgeRow(ref float input, ref float output, float* taps, float bias, int k, int pad, int stride, int inHeight, int oy, nint width)
    {
        int top = oy * stride - pad;
        int t0 = Math.Max(0, -top), t1 = Math.Min(k, inHeight - top); // taps inside the input
        ref float outRow = ref Unsafe.Add(ref output, oy * width);
        nint x = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; x + 8 <= width; x += 8)
            {
                var acc = Vector256.Create(bias);
                for (int t = t0; t < t1; t++)
                    acc = Kernels.Fma(Vector256.LoadUnsafe(ref Unsafe.Add(ref input, (top + t) * width + x)), Vector256.Create(taps[t]), acc);
                acc.StoreUnsafe(ref outRow, (nuint)x);
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            for (; x + 4 <= width; x += 4)
            {
                var acc = Vector128.Create(bias);
                for (int t = t0; t < t1; t++)
                    acc = Kernels.Fma(Vector128.LoadUnsafe(ref Unsafe.Add(ref input, (top + t) * width + x)), Vector128.Create(taps[t]), acc);
                acc.StoreUnsafe(ref outRow, (nuint)x);
            }
        }
        for (; x < width; x++)
        {
            float acc = bias;
            for (int t = t0; t < t1; t++) acc = Kernels.Fma(Unsafe.Add(ref input, (top + t) * width + x), taps[t], acc);
            Unsafe.Add(ref outRow, x) = acc;
        }
    }

    /// <summary>k x 1 that adds into the output (further input channels of a dense conv), or an unusual padding.</summary>
    private static void ColumnGeneric(ref float input, ref float output, float* taps, float bias, int k, int pad, int stride,
        int inHeight, int outHeight, nint width, bool accumulate)
    {
        int interiorFirst = 0, interiorEnd = 0;
        if (stride == 1 && inHeight == outHeight && k - 1 - pad >= 0 && outHeight - (k - 1 - pad) > pad)
        {
            // rows whose k taps are all inside: contiguous, so one flat vector loop covers them
            interiorFirst = pad;
            interiorEnd = outHeight - (k - 1 - pad);
            ColumnInterior(ref input, ref output, taps, bias, k, pad, interiorFirst * width, interiorEnd * width, width, accumulate);
        }
        for (int oy = 0; oy < outHeight; oy++)
        {
            if (oy == interiorFirst && interiorEnd > interiorFirst) { oy = interiorEnd - 1; continue; }
            int top = oy * stride - pad;
            int t0 = Math.Max(0, -top), t1 = Math.Min(k, inHeight - top); // taps inside the input
            ref float outRow = ref Unsafe.Add(ref output, oy * width);
            nint x = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; x + 8 <= width; x += 8)
                {
                    var acc = accumulate ? Vector256.LoadUnsafe(ref outRow, (nuint)x) : Vector256.Create(bias);
                    for (int t = t0; t < t1; t++)
                        acc = Kernels.Fma(Vector256.LoadUnsafe(ref Unsafe.Add(ref input, (top + t) * width + x)), Vector256.Create(taps[t]), acc);
                    acc.StoreUnsafe(ref outRow, (nuint)x);
                }
            }
            if (Vector128.IsHardwareAccelerated)
            {
                for (; x + 4 <= width; x += 4)
                {
                    var acc = accumulate ? Vector128.LoadUnsafe(ref outRow, (nuint)x) : Vector128.Create(bias);
                    for (int t = t0; t < t1; t++)
                        acc = Kernels.Fma(Vector128.LoadUnsafe(ref Unsafe.Add(ref input, (top + t) * width + x)), Vector128.Create(taps[t]), acc);
                    acc.StoreUnsafe(ref outRow, (nuint)x);
                }
            }
            for (; x < width; x++)
            {
                float acc = accumulate ? Unsafe.Add(ref outRow, x) : bias;
                for (int t = t0; t < t1; t++) acc = Kernels.Fma(Unsafe.Add(ref input, (top + t) * width + x), taps[t], acc);
                Unsafe.Add(ref outRow, x) = acc;
            }
        }
    }

    /// <summary>
    /// A k x 1 convolution over a group: <paramref name="outputs"/> output planes that all read the
    /// group's input planes (<paramref name="planes"/>, channel maps applied). Four outputs at a time
    /// share every input load; weights are [outputs, planes.Length, k].
    /// </summary>
    public static void ColumnGroup(ref float input, ReadOnlySpan<int> planes, nint inPlane, ref float output, nint outPlane,
        float* weights, float* bias, int outputs, int k, int pad, int stride, int inHeight, int outHeight, nint width)
    {
        if (Vector256.IsHardwareAccelerated && planes.Length == 3 && k == 3 && width >= 8 && pad >= 0 && pad <= 2)
        {
            RgbColumn3(ref input, planes, inPlane, ref output, outPlane, weights, bias, outputs, pad, stride, inHeight, outHeight, width);
            return;
        }
        int inputs = planes.Length, o = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; o + 4 <= outputs; o += 4)
            {
                float* w = weights + o * inputs * k;
                int perOutput = inputs * k;
                for (int oy = 0; oy < outHeight; oy++)
                {
                    int top = oy * stride - pad;
                    int t0 = Math.Max(0, -top), t1 = Math.Min(k, inHeight - top);
                    nint x = 0;
                    for (; x + 8 <= width; x += 8)
                    {
                        var a0 = Vector256.Create(bias[o]); var a1 = Vector256.Create(bias[o + 1]);
                        var a2 = Vector256.Create(bias[o + 2]); var a3 = Vector256.Create(bias[o + 3]);
                        for (int i = 0; i < inputs; i++)
                        {
                            ref float plane = ref Unsafe.Add(ref input, planes[i] * inPlane);
                            for (int t = t0; t < t1; t++)
                            {
                                var v = Vector256.LoadUnsafe(ref Unsafe.Add(ref plane, (top + t) * width + x));
                                int at = i * k + t;
                                a0 = Kernels.Fma(v, Vector256.Create(w[at]), a0);
                                a1 = Kernels.Fma(v, Vector256.Create(w[perOutput + at]), a1);
                                a2 = Kernels.Fma(v, Vector256.Create(w[2 * perOutput + at]), a2);
                                a3 = Kernels.Fma(v, Vector256.Create(w[3 * perOutput + at]), a3);
                            }
                        }
                        ref float outAt = ref Unsafe.Add(ref output, o * outPlane + oy * width + x);
                        a0.StoreUnsafe(ref outAt);
                        a1.StoreUnsafe(ref Unsafe.Add(ref outAt, outPlane));
                        a2.StoreUnsafe(ref Unsafe.Add(ref outAt, 2 * outPlane));
                        a3.StoreUnsafe(ref Unsafe.Add(ref outAt, 3 * outPlane));
                    }
                    for (; x < width; x++)
                    {
                        for (int q = 0; q < 4; q++)
                        {
                            float acc = bias[o + q];
                            for (int i = 0; i < inputs; i++)
                            {
                                ref float plane = ref Unsafe.Add(ref input, planes[i] * inPlane);
                                for (int t = t0; t < t1; t++) acc = Kernels.Fma(Unsafe.Add(ref plane, (top + t) * width + x), w[q * perOutput + i * k + t], acc);
                            }
                            Unsafe.Add(ref output, (o + q) * outPlane + oy * width + x) = acc;
                        }
                    }
                }
            }
        }
        for (; o < outputs; o++)
        {
            ref float outPlaneRef = ref Unsafe.Add(ref output, o * outPlane);
            for (int i = 0; i < inputs; i++)
                Column(ref Unsafe.Add(ref input, planes[i] * inPlane), ref outPlaneRef, weights + (o * inputs + i) * k, bias[o], k, pad, stride, inHeight, outHeight, width, accumulate: i > 0);
        }
    }

    /// <summary>
    /// The stem's 3x1 conv over an RGB image (3 input planes, 3 taps): interior rows four outputs at
    /// a time through <see cref="RgbColumn3Block4"/>; the outputs past the last block of four (and
    /// rows narrower than 24 floats) per output vector: the nine input vectors loaded once and
    /// every output channel a chain of nine FMAs over them (bias, then input 0's taps, input 1's,
    /// input 2's - the order of the general path).
    /// </summary>
    private static void RgbColumn3(ref float input, ReadOnlySpan<int> planes, nint inPlane, ref float output, nint outPlane,
        float* weights, float* bias, int outputs, int pad, int stride, int inHeight, int outHeight, nint width)
    {
        ref float plane0 = ref Unsafe.Add(ref input, planes[0] * inPlane);
        ref float plane1 = ref Unsafe.Add(ref input, planes[1] * inPlane);
        ref float plane2 = ref Unsafe.Add(ref input, planes[2] * inPlane);
        for (int oy = 0; oy < outHeight; oy++)
        {
            int top = oy * stride - pad;
            ref float outRow = ref Unsafe.Add(ref output, oy * width);
            if (top >= 0 && top + 3 <= inHeight)
            {
                ref float r0 = ref Unsafe.Add(ref plane0, top * width);
                ref float r1 = ref Unsafe.Add(ref plane1, top * width);
                ref float r2 = ref Unsafe.Add(ref plane2, top * width);
                nint below = width, below2 = 2 * width;
                int first = 0; // the outputs the chain loop below computes: those past the blocks of four
                if (width >= 24)
                    for (; first + 4 <= outputs; first += 4)
                        RgbColumn3Block4(ref r0, ref r1, ref r2, below, ref Unsafe.Add(ref outRow, first * outPlane), outPlane, weights + 9 * first, bias + first, width);
                if (first == outputs) continue;
                for (nint x = 0; ; x += 8)
                {
                    if (x > width - 8) x = width - 8; // the overlapping last vector (pure stores)
                    var v0 = Vector256.LoadUnsafe(ref r0, (nuint)x); var v1 = Vector256.LoadUnsafe(ref r0, (nuint)(x + below)); var v2 = Vector256.LoadUnsafe(ref r0, (nuint)(x + below2));
                    var v3 = Vector256.LoadUnsafe(ref r1, (nuint)x); var v4 = Vector256.LoadUnsafe(ref r1, (nuint)(x + below)); var v5 = Vector256.LoadUnsafe(ref r1, (nuint)(x + below2));
                    var v6 = Vector256.LoadUnsafe(ref r2, (nuint)x); var v7 = Vector256.LoadUnsafe(ref r2, (nuint)(x + below)); var v8 = Vector256.LoadUnsafe(ref r2, (nuint)(x + below2));
                    float* w = weights + 9 * first;
                    for (int o = first; o < outputs; o++, w += 9)
                    {
                        var a = Kernels.Fma(v0, Vector256.Create(w[0]), Vector256.Create(bias[o]));
                        a = Kernels.Fma(v1, Vector256.Create(w[1]), a);
                        a = Kernels.Fma(v2, Vector256.Create(w[2]), a);
                        a = Kernels.Fma(v3, Vector256.Create(w[3]), a);
                        a = Kernels.Fma(v4, Vector256.Create(w[4]), a);
                        a = Kernels.Fma(v5, Vector256.Create(w[5]), a);
                        a = Kernels.Fma(v6, Vector256.Create(w[6]), a);
                        a = Kernels.Fma(v7, Vector256.Create(w[7]), a);
                        a = Kernels.Fma(v8, Vector256.Create(w[8]), a);
                        a.StoreUnsafe(ref Unsafe.Add(ref outRow, o * outPlane), (nuint)x);
                    }
                    if (x == width - 8) break;
                }
                continue;
            }
            // a top or bottom row: only the taps inside the image
            int t0 = Math.Max(0, -top), t1 = Math.Min(3, inHeight - top);
            for (int o = 0; o < outputs; o++)
            {
                float* w = weights + o * 9;
                for (nint x = 0; ; x += 8)
                {
                    if (x > width - 8) x = width - 8;
                    var a = Vector256.Create(bias[o]);
                    for (int i = 0; i < 3; i++)
                    {
                        ref float plane = ref Unsafe.Add(ref input, planes[i] * inPlane);
                        for (int t = t0; t < t1; t++)
                            a = Kernels.Fma(Vector256.LoadUnsafe(ref Unsafe.Add(ref plane, (top + t) * width + x)), Vector256.Create(w[i * 3 + t]), a);
                    }
                    a.StoreUnsafe(ref Unsafe.Add(ref outRow, o * outPlane), (nuint)x);
                    if (x == width - 8) break;
                }
            }
        }
    }

    /// <summary>
    /// Four outputs of an interior row of <see cref="RgbColumn3"/> (rows of 24+ floats): 4 outputs
    /// x 3 vectors = 12 accumulators over 24-column tiles (the last overlapping the one before),
    /// the nine input rows (plane g, tap t at <paramref name="r0"/>.. + t * below) taken in order,
    /// each loaded once per tile for twelve FMAs. Twelve independent chains where the one-vector
    /// loop has four nine-FMA chains whose latency it waits on; the same order per output (bias,
    /// then input 0's taps, input 1's, input 2's), so the same sums bit for bit.
    /// </summary>
    private static void RgbColumn3Block4(ref float r0, ref float r1, ref float r2, nint below, ref float output, nint outPlane, float* w, float* bias, nint width)
    {
        fixed (float* p0 = &r0) fixed (float* p1 = &r1) fixed (float* p2 = &r2)
        fixed (float* out0 = &output)
        {
            float** rows = stackalloc float*[9];
            rows[0] = p0; rows[1] = p0 + below; rows[2] = p0 + 2 * below;
            rows[3] = p1; rows[4] = p1 + below; rows[5] = p1 + 2 * below;
            rows[6] = p2; rows[7] = p2 + below; rows[8] = p2 + 2 * below;
            float* out1 = out0 + outPlane, out2 = out1 + outPlane, out3 = out2 + outPlane;
            for (nint x = 0; ; x += 24)
            {
                if (x > width - 24) x = width - 24;
                var a00 = Vector256.Create(bias[0]); var a01 = a00; var a02 = a00;
                var a10 = Vector256.Create(bias[1]); var a11 = a10; var a12 = a10;
                var a20 = Vector256.Create(bias[2]); var a21 = a20; var a22 = a20;
                var a30 = Vector256.Create(bias[3]); var a31 = a30; var a32 = a30;
                for (nint s = 0; s < 9; s++)
                {
                    float* src = rows[s] + x;
                    var x0 = Vector256.Load(src);
                    var x1 = Vector256.Load(src + 8);
                    var x2 = Vector256.Load(src + 16);
                    var wv = Vector256.Create(w[s]);
                    a00 = Kernels.Fma(x0, wv, a00); a01 = Kernels.Fma(x1, wv, a01); a02 = Kernels.Fma(x2, wv, a02);
                    wv = Vector256.Create(w[9 + s]);
                    a10 = Kernels.Fma(x0, wv, a10); a11 = Kernels.Fma(x1, wv, a11); a12 = Kernels.Fma(x2, wv, a12);
                    wv = Vector256.Create(w[18 + s]);
                    a20 = Kernels.Fma(x0, wv, a20); a21 = Kernels.Fma(x1, wv, a21); a22 = Kernels.Fma(x2, wv, a22);
                    wv = Vector256.Create(w[27 + s]);
                    a30 = Kernels.Fma(x0, wv, a30); a31 = Kernels.Fma(x1, wv, a31); a32 = Kernels.Fma(x2, wv, a32);
                }
                a00.Store(out0 + x); a01.Store(out0 + x + 8); a02.Store(out0 + x + 16);
                a10.Store(out1 + x); a11.Store(out1 + x + 8); a12.Store(out1 + x + 16);
                a20.Store(out2 + x); a21.Store(out2 + x + 8); a22.Store(out2 + x + 16);
                a30.Store(out3 + x); a31.Store(out3 + x + 8); a32.Store(out3 + x + 16);
                if (x == width - 24) return;
            }
        }
    }

    private static void ColumnInterior(ref float input, ref float output, float* taps, float bias, int k, int pad, nint start, nint end, nint width, bool accumulate)
    {
        nint j = start;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; j + 8 <= end; j += 8)
            {
                var acc = accumulate ? Vector256.LoadUnsafe(ref output, (nuint)j) : Vector256.Create(bias);
                for (int t = 0; t < k; t++) acc = Kernels.Fma(Vector256.LoadUnsafe(ref Unsafe.Add(ref input, j + (t - pad) * width)), Vector256.Create(taps[t]), acc);
                acc.StoreUnsafe(ref output, (nuint)j);
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            for (; j + 4 <= end; j += 4)
            {
                var acc = accumulate ? Vector128.LoadUnsafe(ref output, (nuint)j) : Vector128.Create(bias);
                for (int t = 0; t < k; t++) acc = Kernels.Fma(Vector128.LoadUnsafe(ref Unsafe.Add(ref input, j + (t - pad) * width)), Vector128.Create(taps[t]), acc);
                acc.StoreUnsafe(ref output, (nuint)j);
            }
        }
        for (; j < end; j++)
        {
            float acc = accumulate ? Unsafe.Add(ref output, j) : bias;
            for (int t = 0; t < k; t++) acc = Kernels.Fma(Unsafe.Add(ref input, j + (t - pad) * width), taps[t], acc);
            Unsafe.Add(ref output, j) = acc;
        }
    }

    /// <summary>Rows of one block of a <c>Row</c> call (a block is staged and shares one mask table).</summary>
    public static int RowBlockRows(int height, int inWidth) => Math.Max(1, Math.Min(height, BlockFloats / Math.Max(1, inWidth)));

    /// <summary>Words of the mask table <see cref="RowMasks"/> fills for a 1 x k conv of this shape.</summary>
    public static int RowMaskLength(int k, int height, int inWidth, int outWidth) => k * RowBlockRows(height, inWidth) * outWidth;

    /// <summary>
    /// The per-tap validity masks of a 1 x k conv over one block of rows: word [t][r * outWidth + ox]
    /// is all ones when input column ox*stride + t - pad lies inside the row, else zero. A layer
    /// builds it once and passes it to <c>Row</c> for every plane.
    /// </summary>
    public static void RowMasks(uint* masks, int k, int pad, int stride, int height, int inWidth, int outWidth)
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
    public static void Row(ref float input, ref float output, float* taps, float bias, int k, int pad, int stride,
        int height, int inWidth, int outWidth, bool relu6 = false)
    {
        uint* masks = stackalloc uint[RowMaskLength(k, height, inWidth, outWidth)];
        RowMasks(masks, k, pad, stride, height, inWidth, outWidth);
        float* stage = stackalloc float[RowStageLength(height, inWidth, outWidth)];
        Row(ref input, ref output, taps, bias, k, pad, stride, height, inWidth, outWidth, masks, stage, relu6);
    }

    /// <summary>Floats of the staging buffer a <c>Row</c> call needs: one block of rows (split into even and odd columns for stride 2) between guards.</summary>
    private static int RowStageLength(int height, int inWidth, int outWidth) => 3 * Guard + 2 * RowBlockRows(height, inWidth) * Math.Max(inWidth, outWidth);

    /// <summary>
    /// The 1 x k conv above with the mask table (<paramref name="masks"/>) that <see cref="RowMasks"/> built
    /// for this shape once per layer, instead of one per plane.
    /// </summary>
    public static void Row(ref float input, ref float output, float* taps, float bias, int k, int pad, int stride,
        int height, int inWidth, int outWidth, uint* masks, bool relu6 = false)
    {
        float* stage = stackalloc float[RowStageLength(height, inWidth, outWidth)];
        Row(ref input, ref output, taps, bias, k, pad, stride, height, inWidth, outWidth, masks, stage, relu6);
    }

    private static void Row(ref float input, ref float output, float* taps, float bias, int k, int pad, int stride,
        int height, int inWidth, int outWidth, uint* masks, float* stage, bool relu6)
    {
        bool fits = pad >= 0 && pad <= Guard && k - 1 - pad >= 0 && k - 1 - pad <= Guard;
        if (fits && stride == 1 && inWidth == outWidth) RowStride1(ref input, ref output, taps, bias, k, pad, height, inWidth, masks, stage, relu6);
        else if (fits && stride == 2 && inWidth == 2 * outWidth) RowStride2(ref input, ref output, 0, 1, taps, &bias, k, pad, height, inWidth, outWidth, masks, -1, stage, relu6);
        else
        {
            for (int y = 0; y < height; y++)
            {
                ref float inRow = ref Unsafe.Add(ref input, y * inWidth);
                ref float outRow = ref Unsafe.Add(ref output, y * outWidth);
                for (int ox = 0; ox < outWidth; ox++)
                {
                    float acc = Border(ref inRow, taps, bias, k, ox * stride - pad, inWidth);
                    Unsafe.Add(ref outRow, ox) = relu6 ? Kernels.Relu6(acc) : acc;
                }
            }
        }
    }

    private static void RowStride1(ref float input, ref float output, float* taps, float bias, int k, int pad, int height, int width, uint* masks, float* stage, bool relu6)
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
            Taps(ref src, offsets, ref Unsafe.Add(ref output, (nint)y0 * width), taps, bias, k, count, masks, block, relu6);
        }
    }

    /// <summary>
    /// Stride 2 for <paramref name="outputs"/> output planes (outPlane apart) that all read this
    /// input plane (a channel multiplier): each block is split once and serves all of them.
    /// </summary>
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
    private static int MaskedTaps(uint* masks, int k, nint length)
    {
        int bits = 0;
        for (int t = 0; t < k; t++)
            for (nint i = 0; i < length; i++)
                if (masks[t * length + i] == 0) { bits |= 1 << t; break; }
        return bits;
    }

    // ---- the flat tap loop every spatial kernel below ends in --------------------------------

    /// <summary>Zero padding around a staged block: reads up to this many floats before or after it stay in the buffer.</summary>
    private const int Guard = 8;

    /// <summary>Floats of input (rows of the output) one block of a <c>Row</c> call covers: small enough for L1, large enough to amortize the tails.</summary>
    private const int BlockFloats = 1024;

    /// <summary>
    /// dst[j] = bias + sum_t taps[t] * src[j + offsets[t]] for j in [0, count), where each product
    /// is dropped when <paramref name="masks"/> (k rows of <paramref name="maskStride"/> words, all
    /// ones or all zeros) says the tap falls outside the row; taps whose bit in
    /// <paramref name="maskedTaps"/> is clear are known to be inside everywhere and not masked. Taps run in order t = 0..k-1 from the
    /// bias, as PyTorch's zero padding would sum them. The caller guarantees every read is inside a
    /// buffer (masked taps may read any float there) and that dst does not overlap the reads: the
    /// last vector overlaps the one before it instead of leaving a scalar tail.
    /// </summary>
    private static void Taps(ref float src, nint* offsets, ref float dst, float* taps, float bias, int k, nint count,
        uint* masks, nint maskStride, bool relu6, int maskedTaps = -1)
    {
        if (Vector256.IsHardwareAccelerated && count >= 8)
        {
            // k = 3 and k = 5 (every MicroNet kernel) get the taps and offsets held in registers
            if (k == 3)
            {
                if (masks == null || maskedTaps == 0) Taps3(ref src, offsets, ref dst, taps, bias, count, relu6);
                else if (maskedTaps == MaskOuter3.Bits) Taps3Masked<MaskOuter3>(ref src, offsets, ref dst, taps, bias, count, masks, maskStride, relu6);
                else if (maskedTaps == MaskFirst.Bits) Taps3Masked<MaskFirst>(ref src, offsets, ref dst, taps, bias, count, masks, maskStride, relu6);
                else Taps3Masked<MaskAll>(ref src, offsets, ref dst, taps, bias, count, masks, maskStride, relu6);
                return;
            }
            if (k == 5)
            {
                if (masks == null || maskedTaps == 0) Taps5(ref src, offsets, ref dst, taps, bias, count, relu6);
                else if (maskedTaps == MaskOuter5.Bits) Taps5Masked<MaskOuter5>(ref src, offsets, ref dst, taps, bias, count, masks, maskStride, relu6);
                else if (maskedTaps == MaskFirstTwoLast.Bits) Taps5Masked<MaskFirstTwoLast>(ref src, offsets, ref dst, taps, bias, count, masks, maskStride, relu6);
                else Taps5Masked<MaskAll>(ref src, offsets, ref dst, taps, bias, count, masks, maskStride, relu6);
                return;
            }
            for (nint j = 0; ; j += 8)
            {
                if (j > count - 8) j = count - 8; // the overlapping last vector
                var acc = Vector256.Create(bias);
                for (int t = 0; t < k; t++)
                {
                    var v = Vector256.LoadUnsafe(ref Unsafe.Add(ref src, j + offsets[t]));
                    if (masks != null) v &= Vector256.Load(masks + t * maskStride + j).AsSingle();
                    acc = Kernels.Fma(v, Vector256.Create(taps[t]), acc);
                }
                if (relu6) acc = Kernels.Relu6(acc);
                acc.StoreUnsafe(ref dst, (nuint)j);
                if (j == count - 8) return;
            }
        }
        if (Vector128.IsHardwareAccelerated && count >= 4)
        {
            for (nint j = 0; ; j += 4)
            {
                if (j > count - 4) j = count - 4;
                var acc = Vector128.Create(bias);
                for (int t = 0; t < k; t++)
                {
                    var v = Vector128.LoadUnsafe(ref Unsafe.Add(ref src, j + offsets[t]));
                    if (masks != null) v &= Vector128.Load(masks + t * maskStride + j).AsSingle();
                    acc = Kernels.Fma(v, Vector128.Create(taps[t]), acc);
                }
                if (relu6) acc = Kernels.Relu6(acc);
                acc.StoreUnsafe(ref dst, (nuint)j);
                if (j == count - 4) return;
            }
        }
        for (nint j = 0; j < count; j++)
        {
            float acc = bias;
            for (int t = 0; t < k; t++)
                if (masks == null || masks[t * maskStride + j] != 0) acc = Kernels.Fma(Unsafe.Add(ref src, j + offsets[t]), taps[t], acc);
            Unsafe.Add(ref dst, j) = relu6 ? Kernels.Relu6(acc) : acc;
        }
    }

    private static void Taps3(ref float src, nint* offsets, ref float dst, float* taps, float bias, nint count, bool relu6)
    {
        var w0 = Vector256.Create(taps[0]); var w1 = Vector256.Create(taps[1]); var w2 = Vector256.Create(taps[2]);
        ref float s0 = ref Unsafe.Add(ref src, offsets[0]);
        ref float s1 = ref Unsafe.Add(ref src, offsets[1]);
        ref float s2 = ref Unsafe.Add(ref src, offsets[2]);
        var b = Vector256.Create(bias);
        for (nint j = 0; ; j += 8)
        {
            if (j > count - 8) j = count - 8;
            var acc = Kernels.Fma(Vector256.LoadUnsafe(ref s0, (nuint)j), w0, b);
            acc = Kernels.Fma(Vector256.LoadUnsafe(ref s1, (nuint)j), w1, acc);
            acc = Kernels.Fma(Vector256.LoadUnsafe(ref s2, (nuint)j), w2, acc);
            if (relu6) acc = Kernels.Relu6(acc);
            acc.StoreUnsafe(ref dst, (nuint)j);
            if (j == count - 8) return;
        }
    }

    /// <summary>Which taps a masked loop masks (bit t: tap t), a constant per instantiation so the JIT drops the rest.</summary>
    private interface IMaskedTaps { static abstract int Bits { get; } }
    private struct MaskAll : IMaskedTaps { public static int Bits => -1; }
    private struct MaskFirst : IMaskedTaps { public static int Bits => 0b00001; }           // stride 2, k = 3
    private struct MaskFirstTwoLast : IMaskedTaps { public static int Bits => 0b10011; }    // stride 2, k = 5
    private struct MaskOuter3 : IMaskedTaps { public static int Bits => 0b101; }            // stride 1 in place, k = 3
    private struct MaskOuter5 : IMaskedTaps { public static int Bits => 0b11011; }          // stride 1 in place, k = 5

    private static void Taps3Masked<TMask>(ref float src, nint* offsets, ref float dst, float* taps, float bias, nint count, uint* masks, nint maskStride, bool relu6)
        where TMask : struct, IMaskedTaps
    {
        var w0 = Vector256.Create(taps[0]); var w1 = Vector256.Create(taps[1]); var w2 = Vector256.Create(taps[2]);
        ref float s0 = ref Unsafe.Add(ref src, offsets[0]);
        ref float s1 = ref Unsafe.Add(ref src, offsets[1]);
        ref float s2 = ref Unsafe.Add(ref src, offsets[2]);
        uint* m0 = masks, m1 = masks + maskStride, m2 = masks + 2 * maskStride;
        var b = Vector256.Create(bias);
        for (nint j = 0; ; j += 8)
        {
            if (j > count - 8) j = count - 8;
            var v0 = Vector256.LoadUnsafe(ref s0, (nuint)j); if ((TMask.Bits & 1) != 0) v0 &= Vector256.Load(m0 + j).AsSingle();
            var v1 = Vector256.LoadUnsafe(ref s1, (nuint)j); if ((TMask.Bits & 2) != 0) v1 &= Vector256.Load(m1 + j).AsSingle();
            var v2 = Vector256.LoadUnsafe(ref s2, (nuint)j); if ((TMask.Bits & 4) != 0) v2 &= Vector256.Load(m2 + j).AsSingle();
            var acc = Kernels.Fma(v0, w0, b);
            acc = Kernels.Fma(v1, w1, acc);
            acc = Kernels.Fma(v2, w2, acc);
            if (relu6) acc = Kernels.Relu6(acc);
            acc.StoreUnsafe(ref dst, (nuint)j);
            if (j == count - 8) return;
        }
    }

    private static void Taps5(ref float src, nint* offsets, ref float dst, float* taps, float bias, nint count, bool relu6)
    {
        var w0 = Vector256.Create(taps[0]); var w1 = Vector256.Create(taps[1]); var w2 = Vector256.Create(taps[2]);
        var w3 = Vector256.Create(taps[3]); var w4 = Vector256.Create(taps[4]);
        ref float s0 = ref Unsafe.Add(ref src, offsets[0]);
        ref float s1 = ref Unsafe.Add(ref src, offsets[1]);
        ref float s2 = ref Unsafe.Add(ref src, offsets[2]);
        ref float s3 = ref Unsafe.Add(ref src, offsets[3]);
        ref float s4 = ref Unsafe.Add(ref src, offsets[4]);
        var b = Vector256.Create(bias);
        for (nint j = 0; ; j += 8)
        {
            if (j > count - 8) j = count - 8;
            var acc = Kernels.Fma(Vector256.LoadUnsafe(ref s0, (nuint)j), w0, b);
            acc = Kernels.Fma(Vector256.LoadUnsafe(ref s1, (nuint)j), w1, acc);
            acc = Kernels.Fma(Vector256.LoadUnsafe(ref s2, (nuint)j), w2, acc);
            acc = Kernels.Fma(Vector256.LoadUnsafe(ref s3, (nuint)j), w3, acc);
            acc = Kernels.Fma(Vector256.LoadUnsafe(ref s4, (nuint)j), w4, acc);
            if (relu6) acc = Kernels.Relu6(acc);
            acc.StoreUnsafe(ref dst, (nuint)j);
            if (j == count - 8) return;
        }
    }

    private static void Taps5Masked<TMask>(ref float src, nint* offsets, ref float dst, float* taps, float bias, nint count, uint* masks, nint maskStride, bool relu6)
        where TMask : struct, IMaskedTaps
    {
        var w0 = Vector256.Create(taps[0]); var w1 = Vector256.Create(taps[1]); var w2 = Vector256.Create(taps[2]);
        var w3 = Vector256.Create(taps[3]); var w4 = Vector256.Create(taps[4]);
        ref float s0 = ref Unsafe.Add(ref src, offsets[0]);
        ref float s1 = ref Unsafe.Add(ref src, offsets[1]);
        ref float s2 = ref Unsafe.Add(ref src, offsets[2]);
        ref float s3 = ref Unsafe.Add(ref src, offsets[3]);
        ref float s4 = ref Unsafe.Add(ref src, offsets[4]);
        uint* m0 = masks, m1 = masks + maskStride, m2 = masks + 2 * maskStride, m3 = masks + 3 * maskStride, m4 = masks + 4 * maskStride;
        var b = Vector256.Create(bias);
        for (nint j = 0; ; j += 8)
        {
            if (j > count - 8) j = count - 8;
            var v0 = Vector256.LoadUnsafe(ref s0, (nuint)j); if ((TMask.Bits & 1) != 0) v0 &= Vector256.Load(m0 + j).AsSingle();
            var v1 = Vector256.LoadUnsafe(ref s1, (nuint)j); if ((TMask.Bits & 2) != 0) v1 &= Vector256.Load(m1 + j).AsSingle();
            var v2 = Vector256.LoadUnsafe(ref s2, (nuint)j); if ((TMask.Bits & 4) != 0) v2 &= Vector256.Load(m2 + j).AsSingle();
            var v3 = Vector256.LoadUnsafe(ref s3, (nuint)j); if ((TMask.Bits & 8) != 0) v3 &= Vector256.Load(m3 + j).AsSingle();
            var v4 = Vector256.LoadUnsafe(ref s4, (nuint)j); if ((TMask.Bits & 16) != 0) v4 &= Vector256.Load(m4 + j).AsSingle();
            var acc = Kernels.Fma(v0, w0, b);
            acc = Kernels.Fma(v1, w1, acc);
            acc = Kernels.Fma(v2, w2, acc);
            acc = Kernels.Fma(v3, w3, acc);
            acc = Kernels.Fma(v4, w4, acc);
            if (relu6) acc = Kernels.Relu6(acc);
            acc.StoreUnsafe(ref dst, (nuint)j);
            if (j == count - 8) return;
        }
    }

    /// <summary>even[x] = row[2x], odd[x] = row[2x + 1] for x in [0, n).</summary>
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Border(ref float inRow, float* taps, float bias, int k, int start, int inWidth)
    {
        float acc = bias;
        for (int t = 0; t < k; t++)
        {
            int ix = start + t;
            if ((uint)ix < (uint)inWidth) acc = Kernels.Fma(Unsafe.Add(ref inRow, ix), taps[t], acc);
        }
        return acc;
    }
}
