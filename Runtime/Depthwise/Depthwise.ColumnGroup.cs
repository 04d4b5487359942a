// k x 1 convolutions whose groups have several inputs (the stem's dense conv over RGB) or 4+ outputs.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MicroNet.Aot.Runtime;

public static unsafe partial class Depthwise
{
    /// <summary>
    /// A k x 1 convolution over a group: <paramref name="outputs"/> output planes that all read the
    /// group's input planes (<paramref name="planes"/>, channel maps applied). Four outputs at a time
    /// share every input load; weights are [outputs, planes.Length, k].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ColumnGroup(ref float input, ReadOnlySpan<int> planes, nint inPlane, ref float output, nint outPlane,
        float* weights, float* bias, int outputs, int k, int pad, int stride, int inHeight, int outHeight, nint width)
    {
        if (Vector256.IsHardwareAccelerated && planes.Length == 3 && k == 3 && width >= 8 && pad >= 0 && pad <= 2)
        {
            RgbColumn3(ref input, planes, inPlane, ref output, outPlane, weights, bias, outputs, pad, stride, inHeight, outHeight, width);
            return;
        }
        if (Vector128.IsHardwareAccelerated && planes.Length == 3 && k == 3 && width >= 8 && pad >= 0 && pad <= 2)
        {
            RgbColumn3Vector128(ref input, planes, inPlane, ref output, outPlane, weights, bias, outputs, pad, stride, inHeight, outHeight, width);
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
                                a0 = Simd.Fma(v, Vector256.Create(w[at]), a0);
                                a1 = Simd.Fma(v, Vector256.Create(w[perOutput + at]), a1);
                                a2 = Simd.Fma(v, Vector256.Create(w[2 * perOutput + at]), a2);
                                a3 = Simd.Fma(v, Vector256.Create(w[3 * perOutput + at]), a3);
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
                                for (int t = t0; t < t1; t++) acc = Simd.Fma(Unsafe.Add(ref plane, (top + t) * width + x), w[q * perOutput + i * k + t], acc);
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
                        var a = Simd.Fma(v0, Vector256.Create(w[0]), Vector256.Create(bias[o]));
                        a = Simd.Fma(v1, Vector256.Create(w[1]), a);
                        a = Simd.Fma(v2, Vector256.Create(w[2]), a);
                        a = Simd.Fma(v3, Vector256.Create(w[3]), a);
                        a = Simd.Fma(v4, Vector256.Create(w[4]), a);
                        a = Simd.Fma(v5, Vector256.Create(w[5]), a);
                        a = Simd.Fma(v6, Vector256.Create(w[6]), a);
                        a = Simd.Fma(v7, Vector256.Create(w[7]), a);
                        a = Simd.Fma(v8, Vector256.Create(w[8]), a);
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
                            a = Simd.Fma(Vector256.LoadUnsafe(ref Unsafe.Add(ref plane, (top + t) * width + x)), Vector256.Create(w[i * 3 + t]), a);
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
                    a00 = Simd.Fma(x0, wv, a00); a01 = Simd.Fma(x1, wv, a01); a02 = Simd.Fma(x2, wv, a02);
                    wv = Vector256.Create(w[9 + s]);
                    a10 = Simd.Fma(x0, wv, a10); a11 = Simd.Fma(x1, wv, a11); a12 = Simd.Fma(x2, wv, a12);
                    wv = Vector256.Create(w[18 + s]);
                    a20 = Simd.Fma(x0, wv, a20); a21 = Simd.Fma(x1, wv, a21); a22 = Simd.Fma(x2, wv, a22);
                    wv = Vector256.Create(w[27 + s]);
                    a30 = Simd.Fma(x0, wv, a30); a31 = Simd.Fma(x1, wv, a31); a32 = Simd.Fma(x2, wv, a32);
                }
                a00.Store(out0 + x); a01.Store(out0 + x + 8); a02.Store(out0 + x + 16);
                a10.Store(out1 + x); a11.Store(out1 + x + 8); a12.Store(out1 + x + 16);
                a20.Store(out2 + x); a21.Store(out2 + x + 8); a22.Store(out2 + x + 16);
                a30.Store(out3 + x); a31.Store(out3 + x + 8); a32.Store(out3 + x + 16);
                if (x == width - 24) return;
            }
        }
    }
}
