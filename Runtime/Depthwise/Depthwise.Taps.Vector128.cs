using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MicroNet.Aot.Runtime;

public static unsafe partial class Depthwise
{
    // Taps3 / Taps5 and their masked forms at 128 bits (ARM64's AdvSimd, x64 without AVX2): the
    // taps, offsets and mask rows held in registers, where the generic 128-bit loop reloads each
    // tap's offset, weight and mask address per vector (34 % of M0's ARM64 instructions). The same
    // FMAs in the same order as that loop (bias, then tap 0..k-1), so the results are bit-identical.

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Taps3Vector128(ref float src, nint* offsets, ref float dst, float* taps, float bias, nint count, bool relu6)
    {
        var w0 = Vector128.Create(taps[0]); var w1 = Vector128.Create(taps[1]); var w2 = Vector128.Create(taps[2]);
        ref float s0 = ref Unsafe.Add(ref src, offsets[0]);
        ref float s1 = ref Unsafe.Add(ref src, offsets[1]);
        ref float s2 = ref Unsafe.Add(ref src, offsets[2]);
        var b = Vector128.Create(bias);
        for (nint j = 0; ; j += 4)
        {
            if (j > count - 4) j = count - 4;
            var acc = Simd.Fma(Vector128.LoadUnsafe(ref s0, (nuint)j), w0, b);
            acc = Simd.Fma(Vector128.LoadUnsafe(ref s1, (nuint)j), w1, acc);
            acc = Simd.Fma(Vector128.LoadUnsafe(ref s2, (nuint)j), w2, acc);
            if (relu6) acc = Simd.Relu6(acc);
            acc.StoreUnsafe(ref dst, (nuint)j);
            if (j == count - 4) return;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Taps3MaskedVector128<TMask>(ref float src, nint* offsets, ref float dst, float* taps, float bias, nint count, uint* masks, nint maskStride, bool relu6)
        where TMask : struct, IMaskedTaps
    {
        var w0 = Vector128.Create(taps[0]); var w1 = Vector128.Create(taps[1]); var w2 = Vector128.Create(taps[2]);
        ref float s0 = ref Unsafe.Add(ref src, offsets[0]);
        ref float s1 = ref Unsafe.Add(ref src, offsets[1]);
        ref float s2 = ref Unsafe.Add(ref src, offsets[2]);
        uint* m0 = masks, m1 = masks + maskStride, m2 = masks + 2 * maskStride;
        var b = Vector128.Create(bias);
        for (nint j = 0; ; j += 4)
        {
            if (j > count - 4) j = count - 4;
            var v0 = Vector128.LoadUnsafe(ref s0, (nuint)j); if ((TMask.Bits & 1) != 0) v0 &= Vector128.Load(m0 + j).AsSingle();
            var v1 = Vector128.LoadUnsafe(ref s1, (nuint)j); if ((TMask.Bits & 2) != 0) v1 &= Vector128.Load(m1 + j).AsSingle();
            var v2 = Vector128.LoadUnsafe(ref s2, (nuint)j); if ((TMask.Bits & 4) != 0) v2 &= Vector128.Load(m2 + j).AsSingle();
            var acc = Simd.Fma(v0, w0, b);
            acc = Simd.Fma(v1, w1, acc);
            acc = Simd.Fma(v2, w2, acc);
            if (relu6) acc = Simd.Relu6(acc);
            acc.StoreUnsafe(ref dst, (nuint)j);
            if (j == count - 4) return;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Taps5Vector128(ref float src, nint* offsets, ref float dst, float* taps, float bias, nint count, bool relu6)
    {
        var w0 = Vector128.Create(taps[0]); var w1 = Vector128.Create(taps[1]); var w2 = Vector128.Create(taps[2]);
        var w3 = Vector128.Create(taps[3]); var w4 = Vector128.Create(taps[4]);
        ref float s0 = ref Unsafe.Add(ref src, offsets[0]);
        ref float s1 = ref Unsafe.Add(ref src, offsets[1]);
        ref float s2 = ref Unsafe.Add(ref src, offsets[2]);
        ref float s3 = ref Unsafe.Add(ref src, offsets[3]);
        ref float s4 = ref Unsafe.Add(ref src, offsets[4]);
        var b = Vector128.Create(bias);
        for (nint j = 0; ; j += 4)
        {
            if (j > count - 4) j = count - 4;
            var acc = Simd.Fma(Vector128.LoadUnsafe(ref s0, (nuint)j), w0, b);
            acc = Simd.Fma(Vector128.LoadUnsafe(ref s1, (nuint)j), w1, acc);
            acc = Simd.Fma(Vector128.LoadUnsafe(ref s2, (nuint)j), w2, acc);
            acc = Simd.Fma(Vector128.LoadUnsafe(ref s3, (nuint)j), w3, acc);
            acc = Simd.Fma(Vector128.LoadUnsafe(ref s4, (nuint)j), w4, acc);
            if (relu6) acc = Simd.Relu6(acc);
            acc.StoreUnsafe(ref dst, (nuint)j);
            if (j == count - 4) return;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Taps5MaskedVector128<TMask>(ref float src, nint* offsets, ref float dst, float* taps, float bias, nint count, uint* masks, nint maskStride, bool relu6)
        where TMask : struct, IMaskedTaps
    {
        var w0 = Vector128.Create(taps[0]); var w1 = Vector128.Create(taps[1]); var w2 = Vector128.Create(taps[2]);
        var w3 = Vector128.Create(taps[3]); var w4 = Vector128.Create(taps[4]);
        ref float s0 = ref Unsafe.Add(ref src, offsets[0]);
        ref float s1 = ref Unsafe.Add(ref src, offsets[1]);
        ref float s2 = ref Unsafe.Add(ref src, offsets[2]);
        ref float s3 = ref Unsafe.Add(ref src, offsets[3]);
        ref float s4 = ref Unsafe.Add(ref src, offsets[4]);
        uint* m0 = masks, m1 = masks + maskStride, m2 = masks + 2 * maskStride, m3 = masks + 3 * maskStride, m4 = masks + 4 * maskStride;
        var b = Vector128.Create(bias);
        for (nint j = 0; ; j += 4)
        {
            if (j > count - 4) j = count - 4;
            var v0 = Vector128.LoadUnsafe(ref s0, (nuint)j); if ((TMask.Bits & 1) != 0) v0 &= Vector128.Load(m0 + j).AsSingle();
            var v1 = Vector128.LoadUnsafe(ref s1, (nuint)j); if ((TMask.Bits & 2) != 0) v1 &= Vector128.Load(m1 + j).AsSingle();
            var v2 = Vector128.LoadUnsafe(ref s2, (nuint)j); if ((TMask.Bits & 4) != 0) v2 &= Vector128.Load(m2 + j).AsSingle();
            var v3 = Vector128.LoadUnsafe(ref s3, (nuint)j); if ((TMask.Bits & 8) != 0) v3 &= Vector128.Load(m3 + j).AsSingle();
            var v4 = Vector128.LoadUnsafe(ref s4, (nuint)j); if ((TMask.Bits & 16) != 0) v4 &= Vector128.Load(m4 + j).AsSingle();
            var acc = Simd.Fma(v0, w0, b);
            acc = Simd.Fma(v1, w1, acc);
            acc = Simd.Fma(v2, w2, acc);
            acc = Simd.Fma(v3, w3, acc);
            acc = Simd.Fma(v4, w4, acc);
            if (relu6) acc = Simd.Relu6(acc);
            acc.StoreUnsafe(ref dst, (nuint)j);
            if (j == count - 4) return;
        }
    }
}
