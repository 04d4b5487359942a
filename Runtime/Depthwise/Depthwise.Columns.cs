// k x 1 depthwise convolutions (stride along H): Depthwise.Columns and the per-plane Column kernels.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MicroNet.Aot.Runtime;

public static unsafe partial class Depthwise
{
    /// <summary>
    /// k x 1: out[oy][x] (+)= bias + sum_t taps[t] * in[oy*stride + t - pad][x]; rows of width
    /// <paramref name="width"/> (the same in and out). With <paramref name="accumulate"/> the
    /// result is added to the output (further input channels of a dense conv) and bias is ignored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Column(ref float input, ref float output, float* taps, float bias, int k, int pad, int stride,
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Columns(ref float input, ReadOnlySpan<int> inputPlanes, nint inPlane, ref float output, nint outPlane,
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
    /// k x 1, stride 1: out[j] = bias + sum_t taps[t] * in[j + (t - pad) * width] over the flat plane,
    /// where rows above and below the plane are zeros. Small planes are copied between zero rows
    /// first (one flat loop, no edge cases); large ones run the interior rows flat in place and the
    /// few edge rows with their valid taps only.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
                        a0 = Simd.Fma(r2, w2, Simd.Fma(r1, w1, Simd.Fma(r0, w0, b)));
                        a1 = Simd.Fma(r4, w2, Simd.Fma(r3, w1, Simd.Fma(r2, w0, b)));
                    }
                    else
                    {
                        var r5 = Vector256.LoadUnsafe(ref at, (nuint)(5 * width));
                        var r6 = Vector256.LoadUnsafe(ref at, (nuint)(6 * width));
                        a0 = Simd.Fma(r4, w4, Simd.Fma(r3, w3, Simd.Fma(r2, w2, Simd.Fma(r1, w1, Simd.Fma(r0, w0, b)))));
                        a1 = Simd.Fma(r6, w4, Simd.Fma(r5, w3, Simd.Fma(r4, w2, Simd.Fma(r3, w1, Simd.Fma(r2, w0, b)))));
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
                var a0 = Simd.Fma(Vector256.LoadUnsafe(ref at, (nuint)(2 * width)), w2,
                    Simd.Fma(Vector256.LoadUnsafe(ref at, (nuint)width), w1, Simd.Fma(Vector256.LoadUnsafe(ref at), w0, b)));
                if (k == 5)
                    a0 = Simd.Fma(Vector256.LoadUnsafe(ref at, (nuint)(4 * width)), w4, Simd.Fma(Vector256.LoadUnsafe(ref at, (nuint)(3 * width)), w3, a0));
                a0.StoreUnsafe(ref out0, (nuint)x);
                if (x == width - 8) break;
            }
            oy++;
        }
    }

    /// <summary>k x 1 with any stride, row by row: rows with all taps inside run the flat tap loop, edge rows their valid taps.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
                    acc = Simd.Fma(Vector256.LoadUnsafe(ref Unsafe.Add(ref input, (top + t) * width + x)), Vector256.Create(taps[t]), acc);
                acc.StoreUnsafe(ref outRow, (nuint)x);
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            for (; x + 4 <= width; x += 4)
            {
                var acc = Vector128.Create(bias);
                for (int t = t0; t < t1; t++)
                    acc = Simd.Fma(Vector128.LoadUnsafe(ref Unsafe.Add(ref input, (top + t) * width + x)), Vector128.Create(taps[t]), acc);
                acc.StoreUnsafe(ref outRow, (nuint)x);
            }
        }
        for (; x < width; x++)
        {
            float acc = bias;
            for (int t = t0; t < t1; t++) acc = Simd.Fma(Unsafe.Add(ref input, (top + t) * width + x), taps[t], acc);
            Unsafe.Add(ref outRow, x) = acc;
        }
    }

    /// <summary>k x 1 that adds into the output (further input channels of a dense conv), or an unusual padding.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
                        acc = Simd.Fma(Vector256.LoadUnsafe(ref Unsafe.Add(ref input, (top + t) * width + x)), Vector256.Create(taps[t]), acc);
                    acc.StoreUnsafe(ref outRow, (nuint)x);
                }
            }
            if (Vector128.IsHardwareAccelerated)
            {
                for (; x + 4 <= width; x += 4)
                {
                    var acc = accumulate ? Vector128.LoadUnsafe(ref outRow, (nuint)x) : Vector128.Create(bias);
                    for (int t = t0; t < t1; t++)
                        acc = Simd.Fma(Vector128.LoadUnsafe(ref Unsafe.Add(ref input, (top + t) * width + x)), Vector128.Create(taps[t]), acc);
                    acc.StoreUnsafe(ref outRow, (nuint)x);
                }
            }
            for (; x < width; x++)
            {
                float acc = accumulate ? Unsafe.Add(ref outRow, x) : bias;
                for (int t = t0; t < t1; t++) acc = Simd.Fma(Unsafe.Add(ref input, (top + t) * width + x), taps[t], acc);
                Unsafe.Add(ref outRow, x) = acc;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ColumnInterior(ref float input, ref float output, float* taps, float bias, int k, int pad, nint start, nint end, nint width, bool accumulate)
    {
        nint j = start;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; j + 8 <= end; j += 8)
            {
                var acc = accumulate ? Vector256.LoadUnsafe(ref output, (nuint)j) : Vector256.Create(bias);
                for (int t = 0; t < k; t++) acc = Simd.Fma(Vector256.LoadUnsafe(ref Unsafe.Add(ref input, j + (t - pad) * width)), Vector256.Create(taps[t]), acc);
                acc.StoreUnsafe(ref output, (nuint)j);
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            for (; j + 4 <= end; j += 4)
            {
                var acc = accumulate ? Vector128.LoadUnsafe(ref output, (nuint)j) : Vector128.Create(bias);
                for (int t = 0; t < k; t++) acc = Simd.Fma(Vector128.LoadUnsafe(ref Unsafe.Add(ref input, j + (t - pad) * width)), Vector128.Create(taps[t]), acc);
                acc.StoreUnsafe(ref output, (nuint)j);
            }
        }
        for (; j < end; j++)
        {
            float acc = accumulate ? Unsafe.Add(ref output, j) : bias;
            for (int t = 0; t < k; t++) acc = Simd.Fma(Unsafe.Add(ref input, j + (t - pad) * width), taps[t], acc);
            Unsafe.Add(ref output, j) = acc;
        }
    }
}
