using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MicroNet.Aot.Runtime;

/// <summary>
/// Row primitives the generated layer methods are built from: contiguous float runs, vectorized
/// with Vector256 where accelerated, then Vector128 (SSE / ARM64 AdvSimd), then a scalar tail
/// (the TensorPrimitives pattern; the JIT and NativeAOT drop the branches a CPU cannot take).
/// Callers guarantee the ranges: these methods do no bounds checks.
/// </summary>
public static class Kernels
{
    /// <summary>dst[i] = value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Fill(ref float dst, nint n, float value)
    {
        nint i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var v = Vector256.Create(value);
            for (; i <= n - 8; i += 8) v.StoreUnsafe(ref dst, (nuint)i);
        }
        if (Vector128.IsHardwareAccelerated)
        {
            var v = Vector128.Create(value);
            for (; i <= n - 4; i += 4) v.StoreUnsafe(ref dst, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref dst, i) = value;
    }

    /// <summary>
    /// dst[i] = src[i] for i in [0, n) (the ranges do not overlap): the short runs of staging copies
    /// and saved planes, inline (no call per row), the last vector overlapping the one before.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy(ref float src, ref float dst, nint n)
    {
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            nint i = 0;
            for (; i < n - 8; i += 8) Vector256.LoadUnsafe(ref src, (nuint)i).StoreUnsafe(ref dst, (nuint)i);
            Vector256.LoadUnsafe(ref src, (nuint)(n - 8)).StoreUnsafe(ref dst, (nuint)(n - 8));
            return;
        }
        if (Vector128.IsHardwareAccelerated && n >= 4)
        {
            nint i = 0;
            for (; i < n - 4; i += 4) Vector128.LoadUnsafe(ref src, (nuint)i).StoreUnsafe(ref dst, (nuint)i);
            Vector128.LoadUnsafe(ref src, (nuint)(n - 4)).StoreUnsafe(ref dst, (nuint)(n - 4));
            return;
        }
        for (nint i = 0; i < n; i++) Unsafe.Add(ref dst, i) = Unsafe.Add(ref src, i);
    }

    /// <summary>dst[i] += w * src[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MultiplyAdd(ref float dst, ref float src, float w, nint n)
    {
        nint i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var wv = Vector256.Create(w);
            for (; i <= n - 16; i += 16)
            {
                var d0 = Fma(Vector256.LoadUnsafe(ref src, (nuint)i), wv, Vector256.LoadUnsafe(ref dst, (nuint)i));
                var d1 = Fma(Vector256.LoadUnsafe(ref src, (nuint)(i + 8)), wv, Vector256.LoadUnsafe(ref dst, (nuint)(i + 8)));
                d0.StoreUnsafe(ref dst, (nuint)i);
                d1.StoreUnsafe(ref dst, (nuint)(i + 8));
            }
            for (; i <= n - 8; i += 8)
                Fma(Vector256.LoadUnsafe(ref src, (nuint)i), wv, Vector256.LoadUnsafe(ref dst, (nuint)i)).StoreUnsafe(ref dst, (nuint)i);
        }
        if (Vector128.IsHardwareAccelerated)
        {
            var wv = Vector128.Create(w);
            for (; i <= n - 4; i += 4)
                Fma(Vector128.LoadUnsafe(ref src, (nuint)i), wv, Vector128.LoadUnsafe(ref dst, (nuint)i)).StoreUnsafe(ref dst, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref dst, i) = Fma(Unsafe.Add(ref src, i), w, Unsafe.Add(ref dst, i));
    }

    /// <summary>x[i] = min(max(x[i], 0), 6).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Relu6(ref float x, nint n)
    {
        nint i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 8; i += 8)
                Relu6(Vector256.LoadUnsafe(ref x, (nuint)i)).StoreUnsafe(ref x, (nuint)i);
        }
        if (Vector128.IsHardwareAccelerated)
        {
            for (; i <= n - 4; i += 4)
                Relu6(Vector128.LoadUnsafe(ref x, (nuint)i)).StoreUnsafe(ref x, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref x, i) = Relu6(Unsafe.Add(ref x, i));
    }

    /// <summary>dst[i] = max(a[i], b[i]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Max(ref float dst, ref float a, ref float b, nint n)
    {
        nint i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8)
                MaxNative(Vector256.LoadUnsafe(ref a, (nuint)i), Vector256.LoadUnsafe(ref b, (nuint)i)).StoreUnsafe(ref dst, (nuint)i);
        if (Vector128.IsHardwareAccelerated)
            for (; i <= n - 4; i += 4)
                MaxNative(Vector128.LoadUnsafe(ref a, (nuint)i), Vector128.LoadUnsafe(ref b, (nuint)i)).StoreUnsafe(ref dst, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref dst, i) = MathF.Max(Unsafe.Add(ref a, i), Unsafe.Add(ref b, i));
    }

    /// <summary>dst[i] += src[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add(ref float dst, ref float src, nint n)
    {
        nint i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8)
                (Vector256.LoadUnsafe(ref dst, (nuint)i) + Vector256.LoadUnsafe(ref src, (nuint)i)).StoreUnsafe(ref dst, (nuint)i);
        if (Vector128.IsHardwareAccelerated)
            for (; i <= n - 4; i += 4)
                (Vector128.LoadUnsafe(ref dst, (nuint)i) + Vector128.LoadUnsafe(ref src, (nuint)i)).StoreUnsafe(ref dst, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref dst, i) += Unsafe.Add(ref src, i);
    }

    /// <summary>
    /// The sum of x[0..n), in one order on every instruction set: 32 running partial sums, x[i]
    /// added to p[i mod 32] for the first n - n mod 8 elements, folded p[j] + p[j+16], then + 8,
    /// then + 4, then (s0 + s2) + (s1 + s3); the last n mod 8 elements added in order. Four (AVX2)
    /// or eight (AdvSimd) independent vector chains keep the adds from waiting on each other, and
    /// x64 and ARM64 get bit-identical channel means.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(ref float x, nint n) => Sum<Identity>(ref x, n);

    /// <summary>
    /// The sum of ReLU6(x[i]) over x[0..n), in <see cref="Sum(ref float, nint)"/>'s order (so bit for
    /// bit the sum of the clamped values), without writing the clamped values back: the head's
    /// ReLU6 + global average pool in one read of the features.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
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
        public static Vector256<float> Map(Vector256<float> v) => v;
        public static Vector128<float> Map(Vector128<float> v) => v;
        public static float Map(float v) => v;
    }

    private readonly struct ClampRelu6 : IElementMap
    {
        public static Vector256<float> Map(Vector256<float> v) => Relu6(v);
        public static Vector128<float> Map(Vector128<float> v) => Relu6(v);
        public static float Map(float v) => Relu6(v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
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
            for (; i <= n - 32; i += 32)
            {
                a0 += TMap.Map(Vector128.LoadUnsafe(ref x, (nuint)i));
                a1 += TMap.Map(Vector128.LoadUnsafe(ref x, (nuint)(i + 4)));
                a2 += TMap.Map(Vector128.LoadUnsafe(ref x, (nuint)(i + 8)));
                a3 += TMap.Map(Vector128.LoadUnsafe(ref x, (nuint)(i + 12)));
                a4 += TMap.Map(Vector128.LoadUnsafe(ref x, (nuint)(i + 16)));
                a5 += TMap.Map(Vector128.LoadUnsafe(ref x, (nuint)(i + 20)));
                a6 += TMap.Map(Vector128.LoadUnsafe(ref x, (nuint)(i + 24)));
                a7 += TMap.Map(Vector128.LoadUnsafe(ref x, (nuint)(i + 28)));
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

    /// <summary>The dot product of a[0..n) and b[0..n).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(ref float a, ref float b, nint n)
    {
        nint i = 0;
        float sum = 0;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var acc = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8) acc = Fma(Vector256.LoadUnsafe(ref a, (nuint)i), Vector256.LoadUnsafe(ref b, (nuint)i), acc);
            sum = Vector256.Sum(acc);
        }
        else if (Vector128.IsHardwareAccelerated && n >= 4)
        {
            var acc = Vector128<float>.Zero;
            for (; i <= n - 4; i += 4) acc = Fma(Vector128.LoadUnsafe(ref a, (nuint)i), Vector128.LoadUnsafe(ref b, (nuint)i), acc);
            sum = Vector128.Sum(acc);
        }
        for (; i < n; i++) sum = Fma(Unsafe.Add(ref a, i), Unsafe.Add(ref b, i), sum);
        return sum;
    }

    /// <summary>
    /// output[r] = dot(weights[r, 0..cols), input) for r in [0, rows): a matrix-vector product over
    /// row-major weights. With AVX2, blocks of eight rows whose eight accumulators are reduced
    /// together (horizontal adds) instead of one full reduction per row: short rows (Shift-Max's
    /// squeeze layers) interleaved, long rows one after the other.
    /// </summary>
    public static unsafe void MatVec(float* weights, ref float input, ref float output, int rows, int cols)
    {
        int r = 0;
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported && cols >= SequentialRowsMinColumns)
        {
            // Long rows (the head's linear layers, the wide squeeze layers): one row after the other,
            // so the weights are read as one sequential stream. Eight rows interleaved would be eight
            // streams a row apart, which the hardware prefetchers serve worse once the weights have
            // left L3 in part: measured on this machine (a 1024 x 864 and a 1000 x 1024 matrix after
            // 12-16 MB of other traffic) 0.75-0.85x the interleaved time, even when L3-hot.
            nint stride = cols;
            for (; r + 8 <= rows; r += 8)
            {
                float* w0 = weights + r * stride;
                var a0 = RowDot(w0, ref input, stride);
                var a1 = RowDot(w0 + stride, ref input, stride);
                var a2 = RowDot(w0 + 2 * stride, ref input, stride);
                var a3 = RowDot(w0 + 3 * stride, ref input, stride);
                var a4 = RowDot(w0 + 4 * stride, ref input, stride);
                var a5 = RowDot(w0 + 5 * stride, ref input, stride);
                var a6 = RowDot(w0 + 6 * stride, ref input, stride);
                var a7 = RowDot(w0 + 7 * stride, ref input, stride);
                ReduceEight(a0, a1, a2, a3, a4, a5, a6, a7).StoreUnsafe(ref output, (nuint)r);
            }
        }
        else if (System.Runtime.Intrinsics.X86.Avx2.IsSupported && cols >= 8)
        {
            nint stride = cols;
            for (; r + 8 <= rows; r += 8)
            {
                // one pointer per row, computed once (NativeAOT does not hoist row * cols out of the loop)
                float* w0 = weights + r * stride, w1 = w0 + stride, w2 = w1 + stride, w3 = w2 + stride;
                float* w4 = w3 + stride, w5 = w4 + stride, w6 = w5 + stride, w7 = w6 + stride;
                var a0 = Vector256<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0; var a5 = a0; var a6 = a0; var a7 = a0;
                nint k = 0;
                for (; k + 8 <= stride; k += 8)
                {
                    var x = Vector256.LoadUnsafe(ref input, (nuint)k);
                    a0 = Fma(Vector256.Load(w0 + k), x, a0);
                    a1 = Fma(Vector256.Load(w1 + k), x, a1);
                    a2 = Fma(Vector256.Load(w2 + k), x, a2);
                    a3 = Fma(Vector256.Load(w3 + k), x, a3);
                    a4 = Fma(Vector256.Load(w4 + k), x, a4);
                    a5 = Fma(Vector256.Load(w5 + k), x, a5);
                    a6 = Fma(Vector256.Load(w6 + k), x, a6);
                    a7 = Fma(Vector256.Load(w7 + k), x, a7);
                }
                if (k < stride)
                {
                    // the columns past the last full vector: one more vector ending at the last
                    // column, with the input lanes already counted (below k) zeroed
                    nint last = stride - 8;
                    var keep = Vector256.GreaterThanOrEqual(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) + Vector256.Create((int)last), Vector256.Create((int)k)).AsSingle();
                    var x = Vector256.LoadUnsafe(ref input, (nuint)last) & keep;
                    a0 = Fma(Vector256.Load(w0 + last), x, a0);
                    a1 = Fma(Vector256.Load(w1 + last), x, a1);
                    a2 = Fma(Vector256.Load(w2 + last), x, a2);
                    a3 = Fma(Vector256.Load(w3 + last), x, a3);
                    a4 = Fma(Vector256.Load(w4 + last), x, a4);
                    a5 = Fma(Vector256.Load(w5 + last), x, a5);
                    a6 = Fma(Vector256.Load(w6 + last), x, a6);
                    a7 = Fma(Vector256.Load(w7 + last), x, a7);
                }
                ReduceEight(a0, a1, a2, a3, a4, a5, a6, a7).StoreUnsafe(ref output, (nuint)r);
            }
        }
        for (; r < rows; r++) Unsafe.Add(ref output, r) = Dot(ref weights[(nint)r * cols], ref input, cols);
    }

    /// <summary>Rows of at least this many floats (1 KB) take MatVec's row-after-row walk.</summary>
    internal const int SequentialRowsMinColumns = 256;

    /// <summary>
    /// The lane sums of w[0..n) * input[0..n) (n &gt;= 8) as one vector, four accumulators over 32
    /// columns a step; a last partial vector ends at the last column with the lanes already
    /// counted zeroed in the input.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<float> RowDot(float* w, ref float input, nint n)
    {
        var a0 = Vector256<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0;
        nint k = 0;
        for (; k + 32 <= n; k += 32)
        {
            a0 = Fma(Vector256.Load(w + k), Vector256.LoadUnsafe(ref input, (nuint)k), a0);
            a1 = Fma(Vector256.Load(w + k + 8), Vector256.LoadUnsafe(ref input, (nuint)(k + 8)), a1);
            a2 = Fma(Vector256.Load(w + k + 16), Vector256.LoadUnsafe(ref input, (nuint)(k + 16)), a2);
            a3 = Fma(Vector256.Load(w + k + 24), Vector256.LoadUnsafe(ref input, (nuint)(k + 24)), a3);
        }
        for (; k + 8 <= n; k += 8) a0 = Fma(Vector256.Load(w + k), Vector256.LoadUnsafe(ref input, (nuint)k), a0);
        if (k < n)
        {
            nint last = n - 8;
            var keep = Vector256.GreaterThanOrEqual(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) + Vector256.Create((int)last), Vector256.Create((int)k)).AsSingle();
            a1 = Fma(Vector256.Load(w + last), Vector256.LoadUnsafe(ref input, (nuint)last) & keep, a1);
        }
        return (a0 + a1) + (a2 + a3);
    }

    /// <summary>[sum a0, ..., sum a7] in one vector: pairwise horizontal adds, then the two 128-bit halves added.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ReduceEight(Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3,
        Vector256<float> a4, Vector256<float> a5, Vector256<float> a6, Vector256<float> a7)
    {
        var s01 = System.Runtime.Intrinsics.X86.Avx.HorizontalAdd(a0, a1);
        var s23 = System.Runtime.Intrinsics.X86.Avx.HorizontalAdd(a2, a3);
        var s45 = System.Runtime.Intrinsics.X86.Avx.HorizontalAdd(a4, a5);
        var s67 = System.Runtime.Intrinsics.X86.Avx.HorizontalAdd(a6, a7);
        var s0123 = System.Runtime.Intrinsics.X86.Avx.HorizontalAdd(s01, s23);
        var s4567 = System.Runtime.Intrinsics.X86.Avx.HorizontalAdd(s45, s67);
        return System.Runtime.Intrinsics.X86.Avx.Permute2x128(s0123, s4567, 0x20) + System.Runtime.Intrinsics.X86.Avx.Permute2x128(s0123, s4567, 0x31);
    }

    /// <summary>Shift-Max with one mix: dst[i] = x[i]*a + partner[i]*b (two products, then the sum, as PyTorch).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ShiftMix(ref float dst, ref float x, ref float partner, float a, float b, nint n)
    {
        nint i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var av = Vector256.Create(a); var bv = Vector256.Create(b);
            for (; i <= n - 8; i += 8)
                (Vector256.LoadUnsafe(ref x, (nuint)i) * av + Vector256.LoadUnsafe(ref partner, (nuint)i) * bv).StoreUnsafe(ref dst, (nuint)i);
        }
        if (Vector128.IsHardwareAccelerated)
        {
            var av = Vector128.Create(a); var bv = Vector128.Create(b);
            for (; i <= n - 4; i += 4)
                (Vector128.LoadUnsafe(ref x, (nuint)i) * av + Vector128.LoadUnsafe(ref partner, (nuint)i) * bv).StoreUnsafe(ref dst, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref dst, i) = Unsafe.Add(ref x, i) * a + Unsafe.Add(ref partner, i) * b;
    }

    /// <summary>Shift-Max with two mixes: dst[i] = max(x[i]*a1 + partner[i]*b1, x[i]*a2 + partner[i]*b2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ShiftMax(ref float dst, ref float x, ref float partner, float a1, float b1, float a2, float b2, nint n)
    {
        nint i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var a1v = Vector256.Create(a1); var b1v = Vector256.Create(b1);
            var a2v = Vector256.Create(a2); var b2v = Vector256.Create(b2);
            for (; i <= n - 8; i += 8)
            {
                var xv = Vector256.LoadUnsafe(ref x, (nuint)i);
                var pv = Vector256.LoadUnsafe(ref partner, (nuint)i);
                MaxNative(xv * a1v + pv * b1v, xv * a2v + pv * b2v).StoreUnsafe(ref dst, (nuint)i);
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            var a1v = Vector128.Create(a1); var b1v = Vector128.Create(b1);
            var a2v = Vector128.Create(a2); var b2v = Vector128.Create(b2);
            for (; i <= n - 4; i += 4)
            {
                var xv = Vector128.LoadUnsafe(ref x, (nuint)i);
                var pv = Vector128.LoadUnsafe(ref partner, (nuint)i);
                MaxNative(xv * a1v + pv * b1v, xv * a2v + pv * b2v).StoreUnsafe(ref dst, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float xs = Unsafe.Add(ref x, i), ps = Unsafe.Add(ref partner, i);
            Unsafe.Add(ref dst, i) = MathF.Max(xs * a1 + ps * b1, xs * a2 + ps * b2);
        }
    }

    /// <summary>min(max(x, 0), 6).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Relu6(float x) => MathF.Min(MathF.Max(x, 0f), 6f);

    /// <summary>h_sigmoid as the official Shift-Max computes it: ReLU6(x + 3) * (1/6).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HSigmoidShiftMax(float x) => Relu6(x + 3f) * (1f / 6f);

    /// <summary>
    /// Dynamic Shift-Max's coefficients from fc.2's output: x[j] = (h_sigmoid(x[j] + bias[j]) - 0.5) * scale,
    /// h_sigmoid(v) = ReLU6(v + 3) * (1/6), scale = 2 * act_max; the scalar operations of
    /// <see cref="HSigmoidShiftMax"/> lane by lane (the same result bit for bit).
    /// </summary>
    public static unsafe void ShiftMaxCoefficients(ref float x, float* bias, nint n, float scale)
    {
        nint j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var three = Vector256.Create(3f); var sixth = Vector256.Create(1f / 6f); var half = Vector256.Create(0.5f); var s = Vector256.Create(scale);
            for (; j <= n - 8; j += 8)
                ((Relu6(Vector256.LoadUnsafe(ref x, (nuint)j) + Vector256.Load(bias + j) + three) * sixth - half) * s).StoreUnsafe(ref x, (nuint)j);
        }
        if (Vector128.IsHardwareAccelerated)
        {
            var three = Vector128.Create(3f); var sixth = Vector128.Create(1f / 6f); var half = Vector128.Create(0.5f); var s = Vector128.Create(scale);
            for (; j <= n - 4; j += 4)
                ((Relu6(Vector128.LoadUnsafe(ref x, (nuint)j) + Vector128.Load(bias + j) + three) * sixth - half) * s).StoreUnsafe(ref x, (nuint)j);
        }
        for (; j < n; j++) Unsafe.Add(ref x, j) = (HSigmoidShiftMax(Unsafe.Add(ref x, j) + bias[j]) - 0.5f) * scale;
    }

    /// <summary>x[j] = max(x[j] + bias[j], 0): the squeeze layer's bias and ReLU.</summary>
    public static unsafe void AddBiasRelu(ref float x, float* bias, nint n)
    {
        nint j = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; j <= n - 8; j += 8)
                MaxNative(Vector256.LoadUnsafe(ref x, (nuint)j) + Vector256.Load(bias + j), Vector256<float>.Zero).StoreUnsafe(ref x, (nuint)j);
        if (Vector128.IsHardwareAccelerated)
            for (; j <= n - 4; j += 4)
                MaxNative(Vector128.LoadUnsafe(ref x, (nuint)j) + Vector128.Load(bias + j), Vector128<float>.Zero).StoreUnsafe(ref x, (nuint)j);
        for (; j < n; j++) Unsafe.Add(ref x, j) = MathF.Max(Unsafe.Add(ref x, j) + bias[j], 0f);
    }

    /// <summary>x[j] = h_swish(x[j] + bias[j]) = v * (ReLU6(v + 3) / 6): the head's linear layers; <see cref="HSwish"/> lane by lane.</summary>
    public static unsafe void AddBiasHSwish(ref float x, float* bias, nint n)
    {
        nint j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var three = Vector256.Create(3f); var six = Vector256.Create(6f);
            for (; j <= n - 8; j += 8)
            {
                var v = Vector256.LoadUnsafe(ref x, (nuint)j) + Vector256.Load(bias + j);
                (v * (Relu6(v + three) / six)).StoreUnsafe(ref x, (nuint)j);
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            var three = Vector128.Create(3f); var six = Vector128.Create(6f);
            for (; j <= n - 4; j += 4)
            {
                var v = Vector128.LoadUnsafe(ref x, (nuint)j) + Vector128.Load(bias + j);
                (v * (Relu6(v + three) / six)).StoreUnsafe(ref x, (nuint)j);
            }
        }
        for (; j < n; j++) Unsafe.Add(ref x, j) = HSwish(Unsafe.Add(ref x, j) + bias[j]);
    }

    /// <summary>h_swish as the official head computes it: x * (ReLU6(x + 3) / 6).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HSwish(float x) => x * (Relu6(x + 3f) / 6f);

    // Fused multiply-add only where the hardware has it (x86 FMA3, ARM64 AdvSimd); elsewhere a
    // multiply and an add, never the software-emulated fused operation.

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        System.Runtime.Intrinsics.X86.Fma.IsSupported ? System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a, b, c) : a * b + c;

    // max / min as one instruction (vmaxps / fmax): .NET 9+'s Vector.Max / Min add NaN and signed-zero
    // handling (four instructions on x64) that finite activations never need; .NET 8's are native.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> MaxNative(Vector256<float> a, Vector256<float> b) =>
#if NET9_0_OR_GREATER
        Vector256.MaxNative(a, b);
#else
        Vector256.Max(a, b);
#endif

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> MaxNative(Vector128<float> a, Vector128<float> b) =>
#if NET9_0_OR_GREATER
        Vector128.MaxNative(a, b);
#else
        Vector128.Max(a, b);
#endif

    /// <summary>min(max(v, 0), 6) per lane, with the native instructions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Relu6(Vector256<float> v) =>
#if NET9_0_OR_GREATER
        Vector256.MinNative(Vector256.MaxNative(v, Vector256<float>.Zero), Vector256.Create(6f));
#else
        Vector256.Min(Vector256.Max(v, Vector256<float>.Zero), Vector256.Create(6f));
#endif

    /// <summary>min(max(v, 0), 6) per lane as <c>vmaxps</c> / <c>vminps</c> (the AVX-512 kernels; the semantics of the 256-bit one).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Relu6(Vector512<float> v) =>
        System.Runtime.Intrinsics.X86.Avx512F.Min(System.Runtime.Intrinsics.X86.Avx512F.Max(v, Vector512<float>.Zero), Vector512.Create(6f));

    /// <summary>min(max(v, 0), 6) per lane, with the native instructions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> Relu6(Vector128<float> v) =>
#if NET9_0_OR_GREATER
        Vector128.MinNative(Vector128.MaxNative(v, Vector128<float>.Zero), Vector128.Create(6f));
#else
        Vector128.Min(Vector128.Max(v, Vector128<float>.Zero), Vector128.Create(6f));
#endif

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> Fma(Vector128<float> a, Vector128<float> b, Vector128<float> c)
    {
        if (System.Runtime.Intrinsics.X86.Fma.IsSupported) return System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a, b, c);
        if (System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported) return System.Runtime.Intrinsics.Arm.AdvSimd.FusedMultiplyAdd(c, a, b);
        return a * b + c;
    }

    /// <summary>a * b + c, fused where the hardware has FMA.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Fma(float a, float b, float c) =>
        System.Runtime.Intrinsics.X86.Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported ? MathF.FusedMultiplyAdd(a, b, c) : a * b + c;
}
