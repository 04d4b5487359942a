using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace MicroNet.Aot.Runtime;

public static unsafe partial class Elementwise
{
    /// <summary>
    /// The sum of x[0..n), in one order on every instruction set: 32 running partial sums, x[i]
    /// added to p[i mod 32] for the first n - n mod 8 elements, folded p[j] + p[j+16], then + 8,
    /// then + 4, then (s0 + s2) + (s1 + s3); the last n mod 8 elements added in order. Four (AVX2)
    /// or eight (AdvSimd) independent vector chains keep the adds from waiting on each other, and
    /// x64 and ARM64 get bit-identical channel means.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static float Sum(ref float x, nint n) => Sum<Identity>(ref x, n);

    /// <summary>
    /// The sum of ReLU6(x[i]) over x[0..n), in <see cref="Sum(ref float, nint)"/>'s order (so bit for
    /// bit the sum of the clamped values), without writing the clamped values back: the head's
    /// ReLU6 + global average pool in one read of the features.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static float SumRelu6(ref float x, nint n) => Sum<ClampRelu6>(ref x, n);

    /// <summary>An element-wise map applied to each value <see cref="Sum{TMap}"/> adds (TensorPrimitives-style operator struct).</summary>
    private interface IElementMap
    {
        static abstract Vector256<float> Map(Vector256<float> v);
        static abstract Vector128<float> Map(Vector128<float> v);
        static abstract float Map(float v);
    }

    private readonly struct Identity : IElementMap
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector256<float> Map(Vector256<float> v) => v;
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector128<float> Map(Vector128<float> v) => v;
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static float Map(float v) => v;
    }

    private readonly struct ClampRelu6 : IElementMap
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector256<float> Map(Vector256<float> v) => Simd.Relu6(v);
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector128<float> Map(Vector128<float> v) => Simd.Relu6(v);
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static float Map(float v) => Simd.Relu6(v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Sum<TMap>(ref float x, nint n) where TMap : struct, IElementMap
    {
        nint i = 0, vectorEnd = n & ~(nint)7;
        Vector128<float> s;
        if (Vector256.IsHardwareAccelerated)
        {
            // a0..a3 hold p[0..7], p[8..15], p[16..23], p[24..31]
            var a0 = Vector256<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0;
            for (; i <= n - 32; i += 32)
            {
                a0 += TMap.Map(Vector256.LoadUnsafe(ref x, (nuint)i));
                a1 += TMap.Map(Vector256.LoadUnsafe(ref x, (nuint)(i + 8)));
                a2 += TMap.Map(Vector256.LoadUnsafe(ref x, (nuint)(i + 16)));
                a3 += TMap.Map(Vector256.LoadUnsafe(ref x, (nuint)(i + 24)));
            }
            if (i < vectorEnd) { a0 += TMap.Map(Vector256.LoadUnsafe(ref x, (nuint)i)); i += 8; }
            if (i < vectorEnd) { a1 += TMap.Map(Vector256.LoadUnsafe(ref x, (nuint)i)); i += 8; }
            if (i < vectorEnd) { a2 += TMap.Map(Vector256.LoadUnsafe(ref x, (nuint)i)); i += 8; }
            var r = (a0 + a2) + (a1 + a3); // q[j] = p[j] + p[j+16], then r[j] = q[j] + q[j+8]
            s = r.GetLower() + r.GetUpper(); // s[j] = r[j] + r[j+4]
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            // a0..a7 hold p[0..3], ..., p[28..31]
            var a0 = Vector128<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0; var a5 = a0; var a6 = a0; var a7 = a0;
            // a running reference with constant offsets: one load each (ARM64 pairs them into LDPs),
            // where x + i + offset costs an add per load
            ref float at = ref x;
            for (; i <= n - 32; i += 32, at = ref Unsafe.Add(ref at, 32))
            {
                a0 += TMap.Map(Vector128.LoadUnsafe(ref at));
                a1 += TMap.Map(Vector128.LoadUnsafe(ref at, 4));
                a2 += TMap.Map(Vector128.LoadUnsafe(ref at, 8));
                a3 += TMap.Map(Vector128.LoadUnsafe(ref at, 12));
                a4 += TMap.Map(Vector128.LoadUnsafe(ref at, 16));
                a5 += TMap.Map(Vector128.LoadUnsafe(ref at, 20));
                a6 += TMap.Map(Vector128.LoadUnsafe(ref at, 24));
                a7 += TMap.Map(Vector128.LoadUnsafe(ref at, 28));
            }
            if (i < vectorEnd) { a0 += TMap.Map(Vector128.LoadUnsafe(ref x, (nuint)i)); a1 += TMap.Map(Vector128.LoadUnsafe(ref x, (nuint)(i + 4))); i += 8; }
            if (i < vectorEnd) { a2 += TMap.Map(Vector128.LoadUnsafe(ref x, (nuint)i)); a3 += TMap.Map(Vector128.LoadUnsafe(ref x, (nuint)(i + 4))); i += 8; }
            if (i < vectorEnd) { a4 += TMap.Map(Vector128.LoadUnsafe(ref x, (nuint)i)); a5 += TMap.Map(Vector128.LoadUnsafe(ref x, (nuint)(i + 4))); i += 8; }
            // q[0..15] = (a0 + a4, a1 + a5, a2 + a6, a3 + a7); r[0..7] = (q0 + q2, q1 + q3); s = r[0..3] + r[4..7]
            s = ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7));
        }
        else
        {
            Span<float> p = stackalloc float[32];
            p.Clear();
            for (; i < vectorEnd; i++) p[(int)(i & 31)] += TMap.Map(Unsafe.Add(ref x, i));
            for (int j = 0; j < 16; j++) p[j] += p[j + 16];
            for (int j = 0; j < 8; j++) p[j] += p[j + 8];
            for (int j = 0; j < 4; j++) p[j] += p[j + 4];
            s = Vector128.Create(p[0], p[1], p[2], p[3]);
        }
        float sum = (s.GetElement(0) + s.GetElement(2)) + (s.GetElement(1) + s.GetElement(3));
        for (; i < n; i++) sum += TMap.Map(Unsafe.Add(ref x, i));
        return sum;
    }
}
