using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MicroNet.Aot.Runtime;

/// <summary>
/// Dynamic Shift-Max (Li et al., MicroNet, eq. 4): y_c = max over j of (a_j,c * x_c + b_j,c * x_partner(c)),
/// with per-channel coefficients from a squeeze-excite MLP on the channel means. <see cref="Coefficients"/>
/// turns fc.2's output into a - init_a / b - init_b; <see cref="Mix"/> is the one-mix form (J = 1),
/// <see cref="MaxOfTwoMixes"/> the two-mix form (J = 2). The partner map is the generator's.
/// </summary>
/// <remarks>Called by the generated model classes; not a user API (hidden from IntelliSense), and its signatures may change between versions.</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static unsafe class ShiftMax
{
    /// <summary>h_sigmoid as the official Shift-Max computes it: ReLU6(x + 3) * (1/6).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static float HSigmoid(float x) => Simd.Relu6(x + 3f) * (1f / 6f);

    /// <summary>
    /// Dynamic Shift-Max's coefficients from fc.2's output: x[j] = (h_sigmoid(x[j] + bias[j]) - 0.5) * scale,
    /// h_sigmoid(v) = ReLU6(v + 3) * (1/6), scale = 2 * act_max; the scalar operations of
    /// <see cref="HSigmoid"/> lane by lane (the same result bit for bit).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Coefficients(ref float x, float* bias, nint n, float scale)
    {
        nint j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var three = Vector256.Create(3f); var sixth = Vector256.Create(1f / 6f); var half = Vector256.Create(0.5f); var s = Vector256.Create(scale);
            for (; j <= n - 8; j += 8)
                ((Simd.Relu6(Vector256.LoadUnsafe(ref x, (nuint)j) + Vector256.Load(bias + j) + three) * sixth - half) * s).StoreUnsafe(ref x, (nuint)j);
        }
        if (Vector128.IsHardwareAccelerated)
        {
            var three = Vector128.Create(3f); var sixth = Vector128.Create(1f / 6f); var half = Vector128.Create(0.5f); var s = Vector128.Create(scale);
            for (; j <= n - 4; j += 4)
                ((Simd.Relu6(Vector128.LoadUnsafe(ref x, (nuint)j) + Vector128.Load(bias + j) + three) * sixth - half) * s).StoreUnsafe(ref x, (nuint)j);
        }
        for (; j < n; j++) Unsafe.Add(ref x, j) = (HSigmoid(Unsafe.Add(ref x, j) + bias[j]) - 0.5f) * scale;
    }

    /// <summary>Shift-Max with one mix: dst[i] = x[i]*a + partner[i]*b (two products, then the sum, as PyTorch; on ARM64 one product fused, see <see cref="Mixed"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Mix(ref float dst, ref float x, ref float partner, float a, float b, nint n)
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
            ref float xAt = ref Unsafe.Add(ref x, i), pAt = ref Unsafe.Add(ref partner, i), dAt = ref Unsafe.Add(ref dst, i);
            for (; i <= n - 16; i += 16, xAt = ref Unsafe.Add(ref xAt, 16), pAt = ref Unsafe.Add(ref pAt, 16), dAt = ref Unsafe.Add(ref dAt, 16))
            {
                // four vectors a step: the loop's pointer updates and branch shared by 16 elements
                var y0 = Mixed(Vector128.LoadUnsafe(ref xAt), Vector128.LoadUnsafe(ref pAt), av, bv);
                var y1 = Mixed(Vector128.LoadUnsafe(ref xAt, 4), Vector128.LoadUnsafe(ref pAt, 4), av, bv);
                var y2 = Mixed(Vector128.LoadUnsafe(ref xAt, 8), Vector128.LoadUnsafe(ref pAt, 8), av, bv);
                var y3 = Mixed(Vector128.LoadUnsafe(ref xAt, 12), Vector128.LoadUnsafe(ref pAt, 12), av, bv);
                y0.StoreUnsafe(ref dAt); y1.StoreUnsafe(ref dAt, 4); y2.StoreUnsafe(ref dAt, 8); y3.StoreUnsafe(ref dAt, 12);
            }
            for (; i <= n - 8; i += 8, xAt = ref Unsafe.Add(ref xAt, 8), pAt = ref Unsafe.Add(ref pAt, 8), dAt = ref Unsafe.Add(ref dAt, 8))
            {
                var xw = Vector128.LoadUnsafe(ref xAt, 4);
                var pw = Vector128.LoadUnsafe(ref pAt, 4);
                (Mixed(Vector128.LoadUnsafe(ref xAt), Vector128.LoadUnsafe(ref pAt), av, bv)).StoreUnsafe(ref dAt);
                (Mixed(xw, pw, av, bv)).StoreUnsafe(ref dAt, 4);
            }
            for (; i <= n - 4; i += 4)
                (Mixed(Vector128.LoadUnsafe(ref x, (nuint)i), Vector128.LoadUnsafe(ref partner, (nuint)i), av, bv)).StoreUnsafe(ref dst, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref dst, i) = Unsafe.Add(ref x, i) * a + Unsafe.Add(ref partner, i) * b;
    }

    /// <summary>Shift-Max with two mixes: dst[i] = max(x[i]*a1 + partner[i]*b1, x[i]*a2 + partner[i]*b2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static void MaxOfTwoMixes(ref float dst, ref float x, ref float partner, float a1, float b1, float a2, float b2, nint n)
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
                Simd.MaxNative(xv * a1v + pv * b1v, xv * a2v + pv * b2v).StoreUnsafe(ref dst, (nuint)i);
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            var a1v = Vector128.Create(a1); var b1v = Vector128.Create(b1);
            var a2v = Vector128.Create(a2); var b2v = Vector128.Create(b2);
            // two vectors a step (the loop's own instructions shared; element by element the same)
            // running references with constant offsets (one load or store each, ARM64 pairs them
            // into LDP / STP), where x + i + 4 costs an add per access
            ref float xAt = ref Unsafe.Add(ref x, i), pAt = ref Unsafe.Add(ref partner, i), dAt = ref Unsafe.Add(ref dst, i);
            for (; i <= n - 16; i += 16, xAt = ref Unsafe.Add(ref xAt, 16), pAt = ref Unsafe.Add(ref pAt, 16), dAt = ref Unsafe.Add(ref dAt, 16))
            {
                // four vectors a step: the loop's pointer updates and branch shared by 16 elements
                var x0 = Vector128.LoadUnsafe(ref xAt); var x1 = Vector128.LoadUnsafe(ref xAt, 4);
                var x2 = Vector128.LoadUnsafe(ref xAt, 8); var x3 = Vector128.LoadUnsafe(ref xAt, 12);
                var p0 = Vector128.LoadUnsafe(ref pAt); var p1 = Vector128.LoadUnsafe(ref pAt, 4);
                var p2 = Vector128.LoadUnsafe(ref pAt, 8); var p3 = Vector128.LoadUnsafe(ref pAt, 12);
                var y0 = Simd.MaxNative(Mixed(x0, p0, a1v, b1v), Mixed(x0, p0, a2v, b2v));
                var y1 = Simd.MaxNative(Mixed(x1, p1, a1v, b1v), Mixed(x1, p1, a2v, b2v));
                var y2 = Simd.MaxNative(Mixed(x2, p2, a1v, b1v), Mixed(x2, p2, a2v, b2v));
                var y3 = Simd.MaxNative(Mixed(x3, p3, a1v, b1v), Mixed(x3, p3, a2v, b2v));
                y0.StoreUnsafe(ref dAt); y1.StoreUnsafe(ref dAt, 4); y2.StoreUnsafe(ref dAt, 8); y3.StoreUnsafe(ref dAt, 12);
            }
            for (; i <= n - 8; i += 8, xAt = ref Unsafe.Add(ref xAt, 8), pAt = ref Unsafe.Add(ref pAt, 8), dAt = ref Unsafe.Add(ref dAt, 8))
            {
                var xv = Vector128.LoadUnsafe(ref xAt);
                var xw = Vector128.LoadUnsafe(ref xAt, 4);
                var pv = Vector128.LoadUnsafe(ref pAt);
                var pw = Vector128.LoadUnsafe(ref pAt, 4);
                Simd.MaxNative(Mixed(xv, pv, a1v, b1v), Mixed(xv, pv, a2v, b2v)).StoreUnsafe(ref dAt);
                Simd.MaxNative(Mixed(xw, pw, a1v, b1v), Mixed(xw, pw, a2v, b2v)).StoreUnsafe(ref dAt, 4);
            }
            for (; i <= n - 4; i += 4)
            {
                var xv = Vector128.LoadUnsafe(ref x, (nuint)i);
                var pv = Vector128.LoadUnsafe(ref partner, (nuint)i);
                Simd.MaxNative(Mixed(xv, pv, a1v, b1v), Mixed(xv, pv, a2v, b2v)).StoreUnsafe(ref dst, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float xs = Unsafe.Add(ref x, i), ps = Unsafe.Add(ref partner, i);
            Unsafe.Add(ref dst, i) = MathF.Max(xs * a1 + ps * b1, xs * a2 + ps * b2);
        }
    }

    /// <summary>
    /// x * a + p * b per lane: on ARM64 one product fused into the sum (FMUL + FMLA: one rounding
    /// fewer than PyTorch's two products and a sum, which the kernels' contract allows: they agree to
    /// rounding), elsewhere the two products and the sum as PyTorch computes them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector128<float> Mixed(Vector128<float> x, Vector128<float> p, Vector128<float> a, Vector128<float> b) =>
        System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported ? System.Runtime.Intrinsics.Arm.AdvSimd.FusedMultiplyAdd(p * b, x, a) : x * a + p * b;
}
