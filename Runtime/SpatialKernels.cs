using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MicroNet.Aot.Runtime;

/// <summary>
/// The factorized spatial convolutions of MicroNet, one input plane into one output plane, with
/// all taps accumulated in registers per output vector (no read-modify-write per tap):
/// <see cref="Column"/> for k x 1 kernels (stride along H), <see cref="Row"/> for 1 x k kernels
/// (stride along W). Out-of-range taps are the zero padding of PyTorch's Conv2d.
/// </summary>
public static unsafe class SpatialKernels
{
    /// <summary>
    /// k x 1: out[oy][x] (+)= bias + sum_t taps[t] * in[oy*stride + t - pad][x]; rows of width
    /// <paramref name="width"/> (the same in and out). With <paramref name="accumulate"/> the
    /// result is added to the output (further input channels of a dense conv) and bias is ignored.
    /// </summary>
    public static void Column(ref float input, ref float output, float* taps, float bias, int k, int pad, int stride,
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

    /// <summary>
    /// 1 x k: out[y][ox] = bias + sum_t taps[t] * in[y][ox*stride + t - pad], for every row y.
    /// Stride 1 runs over the flattened plane (rows are contiguous, so one long vector loop covers
    /// many short rows) and then recomputes the border columns, whose taps would otherwise reach
    /// into the neighbouring row. Stride 2 deinterleaves each row into even and odd columns first.
    /// </summary>
    /// <remarks>With <paramref name="relu6"/> the finished plane is clamped to [0, 6] while it is still in cache (a fused ReLU6).</remarks>
    public static void Row(ref float input, ref float output, float* taps, float bias, int k, int pad, int stride,
        int height, int inWidth, int outWidth, bool relu6 = false)
    {
        if (stride == 1 && inWidth == outWidth) RowStride1(ref input, ref output, taps, bias, k, pad, height, inWidth);
        else if (stride == 2 && inWidth == 2 * outWidth && k <= 2 * pad + 2) RowStride2(ref input, ref output, taps, bias, k, pad, height, inWidth, outWidth);
        else
        {
            for (int y = 0; y < height; y++)
            {
                ref float inRow = ref Unsafe.Add(ref input, y * inWidth);
                ref float outRow = ref Unsafe.Add(ref output, y * outWidth);
                for (int ox = 0; ox < outWidth; ox++) Unsafe.Add(ref outRow, ox) = Border(ref inRow, taps, bias, k, ox * stride - pad, inWidth);
            }
        }
        if (relu6) Kernels.Relu6(ref output, (nint)height * outWidth);
    }

    private static void RowStride1(ref float input, ref float output, float* taps, float bias, int k, int pad, int height, int width)
    {
        nint n = (nint)height * width;
        // flat positions whose k taps stay inside the plane: [pad, n - (k - 1 - pad))
        nint j = Math.Min(pad, n), end = n - (k - 1 - pad);
        if (Vector256.IsHardwareAccelerated)
        {
            for (; j + 8 <= end; j += 8)
            {
                var acc = Vector256.Create(bias);
                for (int t = 0; t < k; t++) acc = Kernels.Fma(Vector256.LoadUnsafe(ref Unsafe.Add(ref input, j + t - pad)), Vector256.Create(taps[t]), acc);
                acc.StoreUnsafe(ref output, (nuint)j);
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            for (; j + 4 <= end; j += 4)
            {
                var acc = Vector128.Create(bias);
                for (int t = 0; t < k; t++) acc = Kernels.Fma(Vector128.LoadUnsafe(ref Unsafe.Add(ref input, j + t - pad)), Vector128.Create(taps[t]), acc);
                acc.StoreUnsafe(ref output, (nuint)j);
            }
        }
        for (; j < end; j++)
        {
            float acc = bias;
            for (int t = 0; t < k; t++) acc = Kernels.Fma(Unsafe.Add(ref input, j + t - pad), taps[t], acc);
            Unsafe.Add(ref output, j) = acc;
        }
        // Border columns: the flat loop let their outer taps read the neighbouring row; take those
        // products back out (a few FMAs per row). The plane's first and last positions, which the
        // flat loop did not compute, and rows narrower than the kernel are computed directly.
        int right = k - 1 - pad;
        for (int y = 0; y < height; y++)
        {
            ref float inRow = ref Unsafe.Add(ref input, y * width);
            ref float outRow = ref Unsafe.Add(ref output, y * width);
            bool direct = width < k;
            for (int x = 0; x < Math.Min(pad, width); x++)
            {
                if (y == 0 || direct) { Unsafe.Add(ref outRow, x) = Border(ref inRow, taps, bias, k, x - pad, width); continue; }
                float acc = Unsafe.Add(ref outRow, x);
                for (int t = 0; t < pad - x; t++) acc = Kernels.Fma(-taps[t], Unsafe.Add(ref inRow, x + t - pad), acc);
                Unsafe.Add(ref outRow, x) = acc;
            }
            for (int x = Math.Max(pad, width - right); x < width; x++)
            {
                if (y == height - 1 || direct) { Unsafe.Add(ref outRow, x) = Border(ref inRow, taps, bias, k, x - pad, width); continue; }
                float acc = Unsafe.Add(ref outRow, x);
                for (int t = width - x + pad; t < k; t++) acc = Kernels.Fma(-taps[t], Unsafe.Add(ref inRow, x + t - pad), acc);
                Unsafe.Add(ref outRow, x) = acc;
            }
        }
    }

    private static void RowStride2(ref float input, ref float output, float* taps, float bias, int k, int pad, int height, int inWidth, int outWidth)
    {
        // With W = 2*OW, out[y][x] reads in[y][2x + d] = flat[2j + d] for the flat output index
        // j = y*OW + x: one long stride-2 1-D convolution over blocks of rows, on the block's even
        // (flat[2j]) and odd (flat[2j+1]) halves, then the border columns recomputed per row.
        int rowsPerBlock = Math.Max(1, 2048 / inWidth);
        Span<float> split = stackalloc float[Math.Min(rowsPerBlock, height) * inWidth];
        Span<int> tapAt = stackalloc int[k];
        int lowest = int.MaxValue, highest = int.MinValue;
        for (int t = 0; t < k; t++)
        {
            int d = t - pad;
            int offset = (d & 1) == 0 ? d >> 1 : (d - 1) >> 1;
            lowest = Math.Min(lowest, offset);
            highest = Math.Max(highest, offset);
        }
        int first = (pad + 1) / 2, last = Math.Min(outWidth, (inWidth - k + pad) / 2 + 1);
        ref float splitRef = ref split[0];
        for (int y0 = 0; y0 < height; y0 += rowsPerBlock)
        {
            int rows = Math.Min(rowsPerBlock, height - y0);
            int m = rows * outWidth;
            ref float even = ref splitRef;
            ref float odd = ref Unsafe.Add(ref splitRef, m);
            for (int t = 0; t < k; t++)
            {
                int d = t - pad;
                tapAt[t] = (d & 1) == 0 ? d >> 1 : m + ((d - 1) >> 1);
            }
            Deinterleave(ref Unsafe.Add(ref input, (nint)y0 * inWidth), ref even, ref odd, m);
            ref float outBlock = ref Unsafe.Add(ref output, (nint)y0 * outWidth);
            nint j = Math.Max(0, -lowest), end = m - Math.Max(0, highest);
            if (Vector256.IsHardwareAccelerated)
            {
                for (; j + 8 <= end; j += 8)
                {
                    var acc = Vector256.Create(bias);
                    for (int t = 0; t < k; t++) acc = Kernels.Fma(Vector256.LoadUnsafe(ref Unsafe.Add(ref splitRef, tapAt[t] + j)), Vector256.Create(taps[t]), acc);
                    acc.StoreUnsafe(ref outBlock, (nuint)j);
                }
            }
            if (Vector128.IsHardwareAccelerated)
            {
                for (; j + 4 <= end; j += 4)
                {
                    var acc = Vector128.Create(bias);
                    for (int t = 0; t < k; t++) acc = Kernels.Fma(Vector128.LoadUnsafe(ref Unsafe.Add(ref splitRef, tapAt[t] + j)), Vector128.Create(taps[t]), acc);
                    acc.StoreUnsafe(ref outBlock, (nuint)j);
                }
            }
            for (; j < end; j++)
            {
                float acc = bias;
                for (int t = 0; t < k; t++) acc = Kernels.Fma(Unsafe.Add(ref splitRef, tapAt[t] + j), taps[t], acc);
                Unsafe.Add(ref outBlock, j) = acc;
            }
            // border columns (their taps would cross into the neighbouring row) and the block's ends
            for (int r = 0; r < rows; r++)
            {
                ref float inRow = ref Unsafe.Add(ref input, (nint)(y0 + r) * inWidth);
                ref float outRow = ref Unsafe.Add(ref outBlock, (nint)r * outWidth);
                for (int x = 0; x < Math.Min(first, outWidth); x++) Unsafe.Add(ref outRow, x) = Border(ref inRow, taps, bias, k, 2 * x - pad, inWidth);
                for (int x = Math.Max(last, first); x < outWidth; x++) Unsafe.Add(ref outRow, x) = Border(ref inRow, taps, bias, k, 2 * x - pad, inWidth);
            }
            for (nint q = 0; q < Math.Min(Math.Max(0, -lowest), m); q++) Unsafe.Add(ref outBlock, q) = Border(ref Unsafe.Add(ref input, (nint)(y0 + q / outWidth) * inWidth), taps, bias, k, (int)(2 * (q % outWidth)) - pad, inWidth);
            for (nint q = Math.Max(end, 0); q < m; q++) Unsafe.Add(ref outBlock, q) = Border(ref Unsafe.Add(ref input, (nint)(y0 + q / outWidth) * inWidth), taps, bias, k, (int)(2 * (q % outWidth)) - pad, inWidth);
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
