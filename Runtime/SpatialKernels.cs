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
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        System.Runtime.Intrinsics.X86.Fma.IsSupported ? System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a, b, c) : a * b + c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Fma(Vector128<float> a, Vector128<float> b, Vector128<float> c)
    {
        if (System.Runtime.Intrinsics.X86.Fma.IsSupported) return System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a, b, c);
        if (System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported) return System.Runtime.Intrinsics.Arm.AdvSimd.FusedMultiplyAdd(c, a, b);
        return a * b + c;
    }

    /// <summary>
    /// k x 1: out[oy][x] (+)= bias + sum_t taps[t] * in[oy*stride + t - pad][x]; rows of width
    /// <paramref name="width"/> (the same in and out). With <paramref name="accumulate"/> the
    /// result is added to the output (further input channels of a dense conv) and bias is ignored.
    /// </summary>
    public static void Column(ref float input, ref float output, float* taps, float bias, int k, int pad, int stride,
        int inHeight, int outHeight, nint width, bool accumulate)
    {
        for (int oy = 0; oy < outHeight; oy++)
        {
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
                        acc = Fma(Vector256.LoadUnsafe(ref Unsafe.Add(ref input, (top + t) * width + x)), Vector256.Create(taps[t]), acc);
                    acc.StoreUnsafe(ref outRow, (nuint)x);
                }
            }
            if (Vector128.IsHardwareAccelerated)
            {
                for (; x + 4 <= width; x += 4)
                {
                    var acc = accumulate ? Vector128.LoadUnsafe(ref outRow, (nuint)x) : Vector128.Create(bias);
                    for (int t = t0; t < t1; t++)
                        acc = Fma(Vector128.LoadUnsafe(ref Unsafe.Add(ref input, (top + t) * width + x)), Vector128.Create(taps[t]), acc);
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
    /// 1 x k: out[y][ox] = bias + sum_t taps[t] * in[y][ox*stride + t - pad], for every row y.
    /// </summary>
    public static void Row(ref float input, ref float output, float* taps, float bias, int k, int pad, int stride,
        int height, int inWidth, int outWidth)
    {
        // output columns whose taps all fall inside the row: the vectorized interior (stride 1)
        int first = (pad + stride - 1) / stride;
        int last = Math.Min(outWidth, (inWidth - k + pad) / stride + 1);
        for (int y = 0; y < height; y++)
        {
            ref float inRow = ref Unsafe.Add(ref input, y * inWidth);
            ref float outRow = ref Unsafe.Add(ref output, y * outWidth);
            int ox = 0;
            for (; ox < Math.Min(first, outWidth); ox++) Unsafe.Add(ref outRow, ox) = Border(ref inRow, taps, bias, k, ox * stride - pad, inWidth);
            if (stride == 1)
            {
                if (Vector256.IsHardwareAccelerated)
                {
                    for (; ox + 8 <= last; ox += 8)
                    {
                        var acc = Vector256.Create(bias);
                        ref float at = ref Unsafe.Add(ref inRow, ox - pad);
                        for (int t = 0; t < k; t++) acc = Fma(Vector256.LoadUnsafe(ref Unsafe.Add(ref at, t)), Vector256.Create(taps[t]), acc);
                        acc.StoreUnsafe(ref outRow, (nuint)ox);
                    }
                }
                if (Vector128.IsHardwareAccelerated)
                {
                    for (; ox + 4 <= last; ox += 4)
                    {
                        var acc = Vector128.Create(bias);
                        ref float at = ref Unsafe.Add(ref inRow, ox - pad);
                        for (int t = 0; t < k; t++) acc = Fma(Vector128.LoadUnsafe(ref Unsafe.Add(ref at, t)), Vector128.Create(taps[t]), acc);
                        acc.StoreUnsafe(ref outRow, (nuint)ox);
                    }
                }
            }
            for (; ox < last; ox++)
            {
                float acc = bias;
                ref float at = ref Unsafe.Add(ref inRow, ox * stride - pad);
                for (int t = 0; t < k; t++) acc = Kernels.Fma(Unsafe.Add(ref at, t), taps[t], acc);
                Unsafe.Add(ref outRow, ox) = acc;
            }
            for (; ox < outWidth; ox++) Unsafe.Add(ref outRow, ox) = Border(ref inRow, taps, bias, k, ox * stride - pad, inWidth);
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
