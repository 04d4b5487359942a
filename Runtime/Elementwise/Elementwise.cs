// Elementwise operators over contiguous float runs: each operator is a struct with one Invoke per
// width (Vector256, Vector128, scalar) and every public op is one line over the shared width ladder
// below (the TensorPrimitives pattern: IUnaryOperator / IBinaryOperator + one Invoke loop). The JIT
// and NativeAOT specialize the ladder per operator and drop the widths a CPU cannot take.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MicroNet.Aot.Runtime;

/// <summary>
/// Elementwise row primitives the generated layer methods call: ReLU6, max, residual add, bias +
/// activation, copies and (Elementwise.Sum.cs) fixed-order sums. Vector256 where accelerated, then
/// Vector128 (SSE / ARM64 AdvSimd), then scalar. Callers guarantee the ranges: no bounds checks.
/// </summary>
/// <remarks>Called by the generated model classes; not a user API (hidden from IntelliSense), and its signatures may change between versions.</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static unsafe partial class Elementwise
{
    /// <summary>x[i] = min(max(x[i], 0), 6), in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Relu6(ref float x, nint n) => Unary<Relu6Operator>(ref x, ref x, n);

    /// <summary>dst[i] = max(a[i], b[i]) (the stem's max group pooling).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Max(ref float dst, ref float a, ref float b, nint n) => Binary<MaxOperator>(ref a, ref b, ref dst, n);

    /// <summary>dst[i] += src[i] (the residual add, in place on the block's output).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Add(ref float dst, ref float src, nint n) => Binary<AddOperator>(ref dst, ref src, ref dst, n);

    /// <summary>x[j] = max(x[j] + bias[j], 0): the squeeze layer's bias and ReLU.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddBiasRelu(ref float x, float* bias, nint n) => Binary<AddReluOperator>(ref x, ref *bias, ref x, n);

    /// <summary>x[j] = h_swish(x[j] + bias[j]) = v * (ReLU6(v + 3) / 6): the head's linear layers; <see cref="HSwish"/> lane by lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddBiasHSwish(ref float x, float* bias, nint n) => Binary<AddHSwishOperator>(ref x, ref *bias, ref x, n);

    /// <summary>h_swish as the official head computes it: x * (ReLU6(x + 3) / 6).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static float HSwish(float x) => x * (Simd.Relu6(x + 3f) / 6f);

    /// <summary>
    /// dst[i] = src[i] for i in [0, n) (the ranges do not overlap): the short runs of staging copies
    /// and saved planes, inline (no call per row). Unlike the ladder below it ends in a vector that
    /// overlaps the one before instead of a scalar tail (a copy may write a float twice).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
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

    // ---- operators ---------------------------------------------------------------------------

    /// <summary>An operator of one input, at every width the ladder uses.</summary>
    internal interface IUnaryOperator
    {
        static abstract Vector256<float> Invoke(Vector256<float> x);
        static abstract Vector128<float> Invoke(Vector128<float> x);
        static abstract float Invoke(float x);
    }

    /// <summary>An operator of two inputs, at every width the ladder uses.</summary>
    internal interface IBinaryOperator
    {
        static abstract Vector256<float> Invoke(Vector256<float> x, Vector256<float> y);
        static abstract Vector128<float> Invoke(Vector128<float> x, Vector128<float> y);
        static abstract float Invoke(float x, float y);
    }

    internal readonly struct Relu6Operator : IUnaryOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector256<float> Invoke(Vector256<float> x) => Simd.Relu6(x);
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector128<float> Invoke(Vector128<float> x) => Simd.Relu6(x);
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static float Invoke(float x) => Simd.Relu6(x);
    }

    internal readonly struct MaxOperator : IBinaryOperator
    {
        // vmaxps / fmax in the vectors (MicroNet's activations hold no NaN); MathF.Max in the tail, as before
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => Simd.MaxNative(x, y);
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => Simd.MaxNative(x, y);
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static float Invoke(float x, float y) => MathF.Max(x, y);
    }

    internal readonly struct AddOperator : IBinaryOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x + y;
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => x + y;
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static float Invoke(float x, float y) => x + y;
    }

    /// <summary>max(x + bias, 0).</summary>
    internal readonly struct AddReluOperator : IBinaryOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> bias) => Simd.MaxNative(x + bias, Vector256<float>.Zero);
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> bias) => Simd.MaxNative(x + bias, Vector128<float>.Zero);
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static float Invoke(float x, float bias) => MathF.Max(x + bias, 0f);
    }

    /// <summary>h_swish(x + bias) = v * (ReLU6(v + 3) / 6).</summary>
    internal readonly struct AddHSwishOperator : IBinaryOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> bias)
        {
            var v = x + bias;
            return v * (Simd.Relu6(v + Vector256.Create(3f)) / Vector256.Create(6f));
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> bias)
        {
            var v = x + bias;
            return v * (Simd.Relu6(v + Vector128.Create(3f)) / Vector128.Create(6f));
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static float Invoke(float x, float bias) => HSwish(x + bias);
    }

    // ---- the width ladder ----------------------------------------------------------------------

    /// <summary>dst[i] = TOp(x[i]); dst may be x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    internal static void Unary<TOp>(ref float x, ref float dst, nint n) where TOp : struct, IUnaryOperator
    {
        nint i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8)
                TOp.Invoke(Vector256.LoadUnsafe(ref x, (nuint)i)).StoreUnsafe(ref dst, (nuint)i);
        if (Vector128.IsHardwareAccelerated)
            for (; i <= n - 4; i += 4)
                TOp.Invoke(Vector128.LoadUnsafe(ref x, (nuint)i)).StoreUnsafe(ref dst, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref dst, i) = TOp.Invoke(Unsafe.Add(ref x, i));
    }

    /// <summary>dst[i] = TOp(x[i], y[i]); dst may be x or y (each element is read before it is written).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    internal static void Binary<TOp>(ref float x, ref float y, ref float dst, nint n) where TOp : struct, IBinaryOperator
    {
        nint i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8)
                TOp.Invoke(Vector256.LoadUnsafe(ref x, (nuint)i), Vector256.LoadUnsafe(ref y, (nuint)i)).StoreUnsafe(ref dst, (nuint)i);
        if (Vector128.IsHardwareAccelerated)
            for (; i <= n - 4; i += 4)
                TOp.Invoke(Vector128.LoadUnsafe(ref x, (nuint)i), Vector128.LoadUnsafe(ref y, (nuint)i)).StoreUnsafe(ref dst, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref dst, i) = TOp.Invoke(Unsafe.Add(ref x, i), Unsafe.Add(ref y, i));
    }
}
