// The stem's 3x1 conv over RGB at 128 bits (ARM64's AdvSimd, x64 without AVX2).
using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace MicroNet.Aot.Runtime;

public static unsafe partial class Depthwise
{
    /// <summary>
    /// <see cref="RgbColumn3"/> at 128 bits: per interior row, eight positions at a time (two
    /// vectors, the last step overlapping the one before), the nine input rows (plane i, tap t)
    /// loaded once for all outputs, and every output a chain of nine fused multiply-adds per vector
    /// (bias, then input 0's taps, input 1's, input 2's: the order of the per-output path, so the
    /// same sums bit for bit). On ARM64 an output's nine weights come as two vector loads and one
    /// replicating load and are applied by lane (FMLA by element), where the portable form
    /// broadcasts each weight. Replaces one k x 1 pass per input and output (the generic path
    /// reloads and re-stores every output row three times: 9 % of M3's ARM64 instructions).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RgbColumn3Vector128(ref float input, ReadOnlySpan<int> planes, nint inPlane, ref float output, nint outPlane,
        float* weights, float* bias, int outputs, int pad, int stride, int inHeight, int outHeight, nint width)
    {
        ref float plane0 = ref Unsafe.Add(ref input, planes[0] * inPlane);
        ref float plane1 = ref Unsafe.Add(ref input, planes[1] * inPlane);
        ref float plane2 = ref Unsafe.Add(ref input, planes[2] * inPlane);
        for (int oy = 0; oy < outHeight; oy++)
        {
            int top = oy * stride - pad;
            ref float outRow = ref Unsafe.Add(ref output, oy * width);
            if (top < 0 || top + 3 > inHeight)
            {
                // a top or bottom row: only the taps inside the image, output by output
                int t0 = Math.Max(0, -top), t1 = Math.Min(3, inHeight - top);
                for (int o = 0; o < outputs; o++)
                {
                    float* w = weights + o * 9;
                    for (nint x = 0; ; x += 4)
                    {
                        if (x > width - 4) x = width - 4;
                        var a = Vector128.Create(bias[o]);
                        for (int i = 0; i < 3; i++)
                        {
                            ref float plane = ref Unsafe.Add(ref input, planes[i] * inPlane);
                            for (int t = t0; t < t1; t++)
                                a = Simd.Fma(Vector128.LoadUnsafe(ref Unsafe.Add(ref plane, (top + t) * width + x)), Vector128.Create(w[i * 3 + t]), a);
                        }
                        a.StoreUnsafe(ref Unsafe.Add(ref outRow, o * outPlane), (nuint)x);
                        if (x == width - 4) break;
                    }
                }
                continue;
            }
            ref float r0 = ref Unsafe.Add(ref plane0, top * width);
            ref float r1 = ref Unsafe.Add(ref plane1, top * width);
            ref float r2 = ref Unsafe.Add(ref plane2, top * width);
            nint below = width, below2 = 2 * width;
            for (nint x = 0; ; x += 8)
            {
                if (x > width - 8) x = width - 8; // the overlapping last step (pure stores)
                // input i, tap t: row top + t of plane i; low and high halves of the eight positions
                var l0 = Vector128.LoadUnsafe(ref r0, (nuint)x); var h0 = Vector128.LoadUnsafe(ref r0, (nuint)(x + 4));
                var l1 = Vector128.LoadUnsafe(ref r0, (nuint)(x + below)); var h1 = Vector128.LoadUnsafe(ref r0, (nuint)(x + below + 4));
                var l2 = Vector128.LoadUnsafe(ref r0, (nuint)(x + below2)); var h2 = Vector128.LoadUnsafe(ref r0, (nuint)(x + below2 + 4));
                var l3 = Vector128.LoadUnsafe(ref r1, (nuint)x); var h3 = Vector128.LoadUnsafe(ref r1, (nuint)(x + 4));
                var l4 = Vector128.LoadUnsafe(ref r1, (nuint)(x + below)); var h4 = Vector128.LoadUnsafe(ref r1, (nuint)(x + below + 4));
                var l5 = Vector128.LoadUnsafe(ref r1, (nuint)(x + below2)); var h5 = Vector128.LoadUnsafe(ref r1, (nuint)(x + below2 + 4));
                var l6 = Vector128.LoadUnsafe(ref r2, (nuint)x); var h6 = Vector128.LoadUnsafe(ref r2, (nuint)(x + 4));
                var l7 = Vector128.LoadUnsafe(ref r2, (nuint)(x + below)); var h7 = Vector128.LoadUnsafe(ref r2, (nuint)(x + below + 4));
                var l8 = Vector128.LoadUnsafe(ref r2, (nuint)(x + below2)); var h8 = Vector128.LoadUnsafe(ref r2, (nuint)(x + below2 + 4));
                float* w = weights;
                ref float outAt = ref Unsafe.Add(ref outRow, x);
                for (int o = 0; o < outputs; o++, w += 9, outAt = ref Unsafe.Add(ref outAt, outPlane))
                {
                    var lo = Vector128.Create(bias[o]);
                    var hi = lo;
                    if (AdvSimd.Arm64.IsSupported)
                    {
                        // weights 0-3 and 4-7 by lane, weight 8 replicated
                        var wa = Vector128.Load(w); var wb = Vector128.Load(w + 4); var w8 = Vector128.Create(w[8]);
                        lo = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(lo, l0, wa, 0); hi = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(hi, h0, wa, 0);
                        lo = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(lo, l1, wa, 1); hi = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(hi, h1, wa, 1);
                        lo = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(lo, l2, wa, 2); hi = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(hi, h2, wa, 2);
                        lo = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(lo, l3, wa, 3); hi = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(hi, h3, wa, 3);
                        lo = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(lo, l4, wb, 0); hi = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(hi, h4, wb, 0);
                        lo = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(lo, l5, wb, 1); hi = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(hi, h5, wb, 1);
                        lo = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(lo, l6, wb, 2); hi = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(hi, h6, wb, 2);
                        lo = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(lo, l7, wb, 3); hi = AdvSimd.Arm64.FusedMultiplyAddBySelectedScalar(hi, h7, wb, 3);
                        lo = AdvSimd.FusedMultiplyAdd(lo, l8, w8); hi = AdvSimd.FusedMultiplyAdd(hi, h8, w8);
                    }
                    else
                    {
                        var v = Vector128.Create(w[0]); lo = Simd.Fma(l0, v, lo); hi = Simd.Fma(h0, v, hi);
                        v = Vector128.Create(w[1]); lo = Simd.Fma(l1, v, lo); hi = Simd.Fma(h1, v, hi);
                        v = Vector128.Create(w[2]); lo = Simd.Fma(l2, v, lo); hi = Simd.Fma(h2, v, hi);
                        v = Vector128.Create(w[3]); lo = Simd.Fma(l3, v, lo); hi = Simd.Fma(h3, v, hi);
                        v = Vector128.Create(w[4]); lo = Simd.Fma(l4, v, lo); hi = Simd.Fma(h4, v, hi);
                        v = Vector128.Create(w[5]); lo = Simd.Fma(l5, v, lo); hi = Simd.Fma(h5, v, hi);
                        v = Vector128.Create(w[6]); lo = Simd.Fma(l6, v, lo); hi = Simd.Fma(h6, v, hi);
                        v = Vector128.Create(w[7]); lo = Simd.Fma(l7, v, lo); hi = Simd.Fma(h7, v, hi);
                        v = Vector128.Create(w[8]); lo = Simd.Fma(l8, v, lo); hi = Simd.Fma(h8, v, hi);
                    }
                    lo.StoreUnsafe(ref outAt);
                    hi.StoreUnsafe(ref outAt, 4);
                }
                if (x == width - 8) break;
            }
        }
    }
}
