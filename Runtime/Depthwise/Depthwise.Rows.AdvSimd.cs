using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace MicroNet.Aot.Runtime;

public static unsafe partial class Depthwise
{
    /// <summary>
    /// ARM64: the 1 x 3 stride-2 conv (pad 1, inWidth = 2 * outWidth) of <paramref name="height"/>
    /// rows without staging: LD2 loads eight input columns split into the even (in[2x], tap 1) and
    /// odd (in[2x + 1], tap 2) ones, and EXT shifts the odd ones by one lane for in[2x - 1] (tap 0),
    /// the previous vector's last odd column coming in (a zero at the row's start: the padding).
    /// Eight outputs a step, the ReLU6 choice outside the loop. Per output: bias, then taps 0, 1, 2
    /// in order, a padded tap adding a zero - the sums of the staged path (<see cref="RowStride2"/>),
    /// bit for bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowStride2K3AdvSimd(ref float input, ref float output, float* taps, float bias, int height, int inWidth, int outWidth, bool relu6)
    {
        if (relu6) RowStride2K3AdvSimd<ClampToRelu6>(ref input, ref output, taps, bias, height, inWidth, outWidth);
        else RowStride2K3AdvSimd<NoClamp>(ref input, ref output, taps, bias, height, inWidth, outWidth);
    }


    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowStride2K3AdvSimd<TClamp>(ref float input, ref float output, float* taps, float bias, int height, int inWidth, int outWidth)
        where TClamp : struct, IOutputClamp
    {
        var w0 = Vector128.Create(taps[0]); var w1 = Vector128.Create(taps[1]); var w2 = Vector128.Create(taps[2]);
        var b = Vector128.Create(bias);
        var zero = Vector128<float>.Zero; var six = Vector128.Create(6f);
        // LD2 takes an address: the input pinned for the call
        fixed (float* inBase = &input)
        fixed (float* outBase = &output)
        for (int y = 0; y < height; y++)
        {
            float* src = inBase + (nint)y * inWidth;
            float* dst = outBase + (nint)y * outWidth;
            float* end8 = dst + (outWidth & ~7);
            float* end4 = dst + (outWidth & ~3);
            float* rowEnd = dst + outWidth;
            var previousOdd = Vector128<float>.Zero;
            for (; dst < end8; dst += 8, src += 16)
            {
                (Vector128<float> even0, Vector128<float> odd0) = Load2(src);
                (Vector128<float> even1, Vector128<float> odd1) = Load2(src + 8);
                var acc0 = Simd.Fma(AdvSimd.ExtractVector128(previousOdd, odd0, 3), w0, b);
                var acc1 = Simd.Fma(AdvSimd.ExtractVector128(odd0, odd1, 3), w0, b);
                acc0 = Simd.Fma(even0, w1, acc0); acc1 = Simd.Fma(even1, w1, acc1);
                acc0 = Simd.Fma(odd0, w2, acc0); acc1 = Simd.Fma(odd1, w2, acc1);
                if (TClamp.Relu6) { acc0 = AdvSimd.Min(AdvSimd.Max(acc0, zero), six); acc1 = AdvSimd.Min(AdvSimd.Max(acc1, zero), six); }
                acc0.Store(dst); acc1.Store(dst + 4);
                previousOdd = odd1;
            }
            if (dst < end4)
            {
                (Vector128<float> even, Vector128<float> odd) = Load2(src);
                var acc = Simd.Fma(AdvSimd.ExtractVector128(previousOdd, odd, 3), w0, b);
                acc = Simd.Fma(even, w1, acc);
                acc = Simd.Fma(odd, w2, acc);
                if (TClamp.Relu6) acc = AdvSimd.Min(AdvSimd.Max(acc, zero), six);
                acc.Store(dst);
                dst += 4; src += 8;
            }
            for (; dst < rowEnd; dst++, src += 2)
            {
                // the left tap is inside here (x >= 4), the right one too (2x + 1 < inWidth)
                float acc = Simd.Fma(src[-1], taps[0], bias);
                acc = Simd.Fma(src[0], taps[1], acc);
                acc = Simd.Fma(src[1], taps[2], acc);
                *dst = TClamp.Relu6 ? Simd.Relu6(acc) : acc;
            }
        }
    }

    /// <summary>Eight floats at <paramref name="p"/> as (p[0], p[2], p[4], p[6]) and (p[1], p[3], p[5], p[7]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static (Vector128<float> Even, Vector128<float> Odd) Load2(float* p)
    {
#if NET9_0_OR_GREATER
        return AdvSimd.Arm64.Load2xVector128AndUnzip(p); // LD2: loaded and split in one instruction
#else
        var v0 = AdvSimd.LoadVector128(p);
        var v1 = AdvSimd.LoadVector128(p + 4);
        return (AdvSimd.Arm64.UnzipEven(v0, v1), AdvSimd.Arm64.UnzipOdd(v0, v1));
#endif
    }

    /// <summary>Whether <see cref="RowsStride1AdvSimd"/> runs this 1 x k layer: ARM64, stride 1, k = 3 or 5 with centred padding, rows of at least 5 floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool RowsStride1AdvSimdApplies(int k, int pad, int stride, int inWidth, int outWidth) =>
        AdvSimd.Arm64.IsSupported && stride == 1 && inWidth == outWidth && k is 3 or 5 && pad == k / 2 && inWidth >= 5;

    /// <summary>
    /// ARM64: a stride-1 1 x k layer row by row, vector by vector, without staging or masks: the
    /// taps of four outputs from the row's vector and its neighbours shifted in by EXT (a zero left
    /// of the row; right of it the row's last vector, loaded to end at the row's last column and
    /// realigned by TBL with zeros past the row), the last output vector stored to end at the row's
    /// last column (as <see cref="PairVectorsAdvSimd"/>'s 1 x k half). Per output: bias, then taps
    /// in order, a padded tap adding a zero product - the sums of the staged path, bit for bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowsStride1AdvSimd(ref float input, ReadOnlySpan<int> inputPlanes, nint inPlane, ref float output, nint outPlane,
        float* weights, float* bias, int k, int height, int width, bool relu6)
    {
        if (k == 5)
        {
            if (relu6) RowsStride1AdvSimd<FiveTaps, ClampToRelu6>(ref input, inputPlanes, inPlane, ref output, outPlane, weights, bias, height, width);
            else RowsStride1AdvSimd<FiveTaps, NoClamp>(ref input, inputPlanes, inPlane, ref output, outPlane, weights, bias, height, width);
        }
        else if (relu6) RowsStride1AdvSimd<ThreeTaps, ClampToRelu6>(ref input, inputPlanes, inPlane, ref output, outPlane, weights, bias, height, width);
        else RowsStride1AdvSimd<ThreeTaps, NoClamp>(ref input, inputPlanes, inPlane, ref output, outPlane, weights, bias, height, width);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowsStride1AdvSimd<TRow, TClamp>(ref float input, ReadOnlySpan<int> inputPlanes, nint inPlane, ref float output, nint outPlane,
        float* weights, float* bias, int height, int width)
        where TRow : ITapCount where TClamp : struct, IOutputClamp
    {
        var zero = Vector128<float>.Zero; var six = Vector128.Create(6f); // ReLU6's limits, loaded once
        nint vectors = (width + 3) / 4;
        int valid = width - 4 * ((int)vectors - 1);
        nint lastLoad = (width - 4) * sizeof(float);
        nint bodyEnd = (vectors - 2) * 16;
        nint rowBytes = (nint)width * sizeof(float);
        // the last vector: its load realigned (zeros past the row), its store ending at the row's end
        var (realign, storeLast) = TailLookups(valid, valid);
        fixed (float* inBase = &input)
        fixed (float* outBase = &output)
        for (int c = 0; c < inputPlanes.Length; c++)
        {
            byte* src = (byte*)(inBase + inputPlanes[c] * inPlane);
            byte* dst = (byte*)(outBase + c * outPlane);
            float* w = weights + c * TRow.K;
            var r0 = Vector128.Create(w[0]); var r1 = Vector128.Create(w[1]); var r2 = Vector128.Create(w[2]);
            var r3 = TRow.K == 5 ? Vector128.Create(w[3]) : default; var r4 = TRow.K == 5 ? Vector128.Create(w[4]) : default;
            var b0 = Vector128.Create(bias[c]);
            for (int y = 0; y < height; y++, src += rowBytes, dst += rowBytes)
            {
                var previous = Vector128<float>.Zero;
                var current = Vector128.Load((float*)src);
                nint x = 0;
                for (; x < bodyEnd; x += 16)
                {
                    var next = Vector128.Load((float*)(src + x + 16));
                    Clamp<TClamp>(RowVector<TRow>(previous, current, next, r0, r1, r2, r3, r4, b0), zero, six).Store((float*)(dst + x));
                    previous = current;
                    current = next;
                }
                var last = AdvSimd.Arm64.VectorTableLookup(Vector128.Load((float*)(src + lastLoad)).AsByte(), realign).AsSingle();
                var before = Clamp<TClamp>(RowVector<TRow>(previous, current, last, r0, r1, r2, r3, r4, b0), zero, six);
                before.Store((float*)(dst + x));
                var final = Clamp<TClamp>(RowVector<TRow>(current, last, Vector128<float>.Zero, r0, r1, r2, r3, r4, b0), zero, six);
                AdvSimd.Arm64.VectorTableLookup((before.AsByte(), final.AsByte()), storeLast).AsSingle().Store((float*)(dst + lastLoad));
            }
        }
    }
}
