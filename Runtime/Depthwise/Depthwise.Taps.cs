// The flat tap loops every depthwise kernel ends in (a constant offset per tap over staged rows),
// with and without per-tap edge masks.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MicroNet.Aot.Runtime;

public static unsafe partial class Depthwise
{
    // ---- the flat tap loop every spatial kernel below ends in --------------------------------

    /// <summary>
    /// dst[j] = bias + sum_t taps[t] * src[j + offsets[t]] for j in [0, count), where each product
    /// is dropped when <paramref name="masks"/> (k rows of <paramref name="maskStride"/> words, all
    /// ones or all zeros) says the tap falls outside the row; taps whose bit in
    /// <paramref name="maskedTaps"/> is clear are known to be inside everywhere and not masked. Taps run in order t = 0..k-1 from the
    /// bias, as PyTorch's zero padding would sum them. The caller guarantees every read is inside a
    /// buffer (masked taps may read any float there) and that dst does not overlap the reads: the
    /// last vector overlaps the one before it instead of leaving a scalar tail.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
                    acc = Simd.Fma(v, Vector256.Create(taps[t]), acc);
                }
                if (relu6) acc = Simd.Relu6(acc);
                acc.StoreUnsafe(ref dst, (nuint)j);
                if (j == count - 8) return;
            }
        }
        if (Vector128.IsHardwareAccelerated && count >= 4)
        {
            if (k == 3)
            {
                if (masks == null || maskedTaps == 0) Taps3Vector128(ref src, offsets, ref dst, taps, bias, count, relu6);
                else if (maskedTaps == MaskOuter3.Bits) Taps3MaskedVector128<MaskOuter3>(ref src, offsets, ref dst, taps, bias, count, masks, maskStride, relu6);
                else if (maskedTaps == MaskFirst.Bits) Taps3MaskedVector128<MaskFirst>(ref src, offsets, ref dst, taps, bias, count, masks, maskStride, relu6);
                else Taps3MaskedVector128<MaskAll>(ref src, offsets, ref dst, taps, bias, count, masks, maskStride, relu6);
                return;
            }
            if (k == 5)
            {
                if (masks == null || maskedTaps == 0) Taps5Vector128(ref src, offsets, ref dst, taps, bias, count, relu6);
                else if (maskedTaps == MaskOuter5.Bits) Taps5MaskedVector128<MaskOuter5>(ref src, offsets, ref dst, taps, bias, count, masks, maskStride, relu6);
                else if (maskedTaps == MaskFirstTwoLast.Bits) Taps5MaskedVector128<MaskFirstTwoLast>(ref src, offsets, ref dst, taps, bias, count, masks, maskStride, relu6);
                else Taps5MaskedVector128<MaskAll>(ref src, offsets, ref dst, taps, bias, count, masks, maskStride, relu6);
                return;
            }
            for (nint j = 0; ; j += 4)
            {
                if (j > count - 4) j = count - 4;
                var acc = Vector128.Create(bias);
                for (int t = 0; t < k; t++)
                {
                    var v = Vector128.LoadUnsafe(ref Unsafe.Add(ref src, j + offsets[t]));
                    if (masks != null) v &= Vector128.Load(masks + t * maskStride + j).AsSingle();
                    acc = Simd.Fma(v, Vector128.Create(taps[t]), acc);
                }
                if (relu6) acc = Simd.Relu6(acc);
                acc.StoreUnsafe(ref dst, (nuint)j);
                if (j == count - 4) return;
            }
        }
        for (nint j = 0; j < count; j++)
        {
            float acc = bias;
            for (int t = 0; t < k; t++)
                if (masks == null || masks[t * maskStride + j] != 0) acc = Simd.Fma(Unsafe.Add(ref src, j + offsets[t]), taps[t], acc);
            Unsafe.Add(ref dst, j) = relu6 ? Simd.Relu6(acc) : acc;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
            var acc = Simd.Fma(Vector256.LoadUnsafe(ref s0, (nuint)j), w0, b);
            acc = Simd.Fma(Vector256.LoadUnsafe(ref s1, (nuint)j), w1, acc);
            acc = Simd.Fma(Vector256.LoadUnsafe(ref s2, (nuint)j), w2, acc);
            if (relu6) acc = Simd.Relu6(acc);
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
            var acc = Simd.Fma(v0, w0, b);
            acc = Simd.Fma(v1, w1, acc);
            acc = Simd.Fma(v2, w2, acc);
            if (relu6) acc = Simd.Relu6(acc);
            acc.StoreUnsafe(ref dst, (nuint)j);
            if (j == count - 8) return;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
            var acc = Simd.Fma(Vector256.LoadUnsafe(ref s0, (nuint)j), w0, b);
            acc = Simd.Fma(Vector256.LoadUnsafe(ref s1, (nuint)j), w1, acc);
            acc = Simd.Fma(Vector256.LoadUnsafe(ref s2, (nuint)j), w2, acc);
            acc = Simd.Fma(Vector256.LoadUnsafe(ref s3, (nuint)j), w3, acc);
            acc = Simd.Fma(Vector256.LoadUnsafe(ref s4, (nuint)j), w4, acc);
            if (relu6) acc = Simd.Relu6(acc);
            acc.StoreUnsafe(ref dst, (nuint)j);
            if (j == count - 8) return;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
            var acc = Simd.Fma(v0, w0, b);
            acc = Simd.Fma(v1, w1, acc);
            acc = Simd.Fma(v2, w2, acc);
            acc = Simd.Fma(v3, w3, acc);
            acc = Simd.Fma(v4, w4, acc);
            if (relu6) acc = Simd.Relu6(acc);
            acc.StoreUnsafe(ref dst, (nuint)j);
            if (j == count - 8) return;
        }
    }

    /// <summary>
    /// A centred 3-tap conv along one axis of a flat plane: out[j] = bias + sum_t taps[t] *
    /// in[j + (t - 1) * step], where <paramref name="index"/>[j] is position j's coordinate along
    /// that axis (its column for 1 x 3, step 1; its row for 3 x 1, step = width) and a tap is kept
    /// only where that coordinate plus t - 1 lies in [0, <paramref name="limit"/>): masks from two
    /// compares per vector, no mask table.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
            var acc = Simd.Fma(Vector256.LoadUnsafe(ref before, (nuint)j), w0, b);
            acc = Simd.Fma(Vector256.LoadUnsafe(ref src, (nuint)j), w1, acc);
            acc = Simd.Fma(Vector256.LoadUnsafe(ref after, (nuint)j), w2, acc);
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
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector256<float> Masked3(ref float before, ref float src, ref float after, int* index, nint j,
        Vector256<float> w0, Vector256<float> w1, Vector256<float> w2, Vector256<float> b, Vector256<int> zero, Vector256<int> beforeLast)
    {
        var at = Vector256.Load(index + j);
        var acc = Simd.Fma(Vector256.LoadUnsafe(ref before, (nuint)j) & Vector256.GreaterThan(at, zero).AsSingle(), w0, b);
        acc = Simd.Fma(Vector256.LoadUnsafe(ref src, (nuint)j), w1, acc);
        return Simd.Fma(Vector256.LoadUnsafe(ref after, (nuint)j) & Vector256.GreaterThan(beforeLast, at).AsSingle(), w2, acc);
    }

    /// <summary>
    /// <see cref="IndexMaskedTaps3"/> along rows (step 1) for two outputs of the same plane (a
    /// channel multiplier of 2): output o at dst + o * dstPlane with taps taps[3o ..] and bias[o];
    /// each input vector and mask computed once for both. Each output summed as by the one-output loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
            var acc0 = Simd.Fma(right, w2, Simd.Fma(centre, w1, Simd.Fma(left, w0, b0)));
            var acc1 = Simd.Fma(right, u2, Simd.Fma(centre, u1, Simd.Fma(left, u0, b1)));
            if (relu6) { acc0 = Simd.Relu6(acc0); acc1 = Simd.Relu6(acc1); }
            acc0.StoreUnsafe(ref dst, (nuint)j);
            acc1.StoreUnsafe(ref dst1, (nuint)j);
            if (j == count - 8) return;
        }
    }

    /// <summary>The 5-tap <see cref="IndexMaskedTaps3"/>: taps -2 / -1 kept where the coordinate is above 1 / 0, +1 / +2 where it is below limit - 1 / limit - 2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
            var acc = Simd.Fma(Vector256.LoadUnsafe(ref before2, (nuint)j), w0, b);
            acc = Simd.Fma(Vector256.LoadUnsafe(ref before, (nuint)j), w1, acc);
            acc = Simd.Fma(Vector256.LoadUnsafe(ref src, (nuint)j), w2, acc);
            acc = Simd.Fma(Vector256.LoadUnsafe(ref after, (nuint)j), w3, acc);
            acc = Simd.Fma(Vector256.LoadUnsafe(ref after2, (nuint)j), w4, acc);
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
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector256<float> Masked5(ref float before2, ref float before, ref float src, ref float after, ref float after2, int* index, nint j,
        Vector256<float> w0, Vector256<float> w1, Vector256<float> w2, Vector256<float> w3, Vector256<float> w4, Vector256<float> b,
        Vector256<int> one, Vector256<int> zero, Vector256<int> beforeLast, Vector256<int> beforeLast2)
    {
        var at = Vector256.Load(index + j);
        var acc = Simd.Fma(Vector256.LoadUnsafe(ref before2, (nuint)j) & Vector256.GreaterThan(at, one).AsSingle(), w0, b);
        acc = Simd.Fma(Vector256.LoadUnsafe(ref before, (nuint)j) & Vector256.GreaterThan(at, zero).AsSingle(), w1, acc);
        acc = Simd.Fma(Vector256.LoadUnsafe(ref src, (nuint)j), w2, acc);
        acc = Simd.Fma(Vector256.LoadUnsafe(ref after, (nuint)j) & Vector256.GreaterThan(beforeLast, at).AsSingle(), w3, acc);
        return Simd.Fma(Vector256.LoadUnsafe(ref after2, (nuint)j) & Vector256.GreaterThan(beforeLast2, at).AsSingle(), w4, acc);
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
                var left = Simd.Fma(Vector256.Load(src - 1) & keepL1, w0, b);
                left = Simd.Fma(Vector256.Load(src), w1, left);
                left = Simd.Fma(Vector256.Load(src + 1), w2, left);
                float* r = src + last;
                var right = Simd.Fma(Vector256.Load(r - 1), w0, b);
                right = Simd.Fma(Vector256.Load(r), w1, right);
                right = Simd.Fma(Vector256.Load(r + 1) & keepR1, w2, right);
                if (relu6) { left = Simd.Relu6(left); right = Simd.Relu6(right); }
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
                var left = Simd.Fma(Vector256.Load(src - 2) & keepL2, w0, b);
                left = Simd.Fma(Vector256.Load(src - 1) & keepL1, w1, left);
                left = Simd.Fma(Vector256.Load(src), w2, left);
                left = Simd.Fma(Vector256.Load(src + 1), w3, left);
                left = Simd.Fma(Vector256.Load(src + 2), w4, left);
                float* r = src + last;
                var right = Simd.Fma(Vector256.Load(r - 2), w0, b);
                right = Simd.Fma(Vector256.Load(r - 1), w1, right);
                right = Simd.Fma(Vector256.Load(r), w2, right);
                right = Simd.Fma(Vector256.Load(r + 1) & keepR1, w3, right);
                right = Simd.Fma(Vector256.Load(r + 2) & keepR2, w4, right);
                if (relu6) { left = Simd.Relu6(left); right = Simd.Relu6(right); }
                left.StoreUnsafe(ref dst);
                right.StoreUnsafe(ref dst, (nuint)last);
            }
        }
    }
}
