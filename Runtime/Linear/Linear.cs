using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MicroNet.Aot.Runtime;

/// <summary>
/// Matrix-vector products: the head's linear layers (BatchNorm1d folded) and Shift-Max's
/// squeeze-excite MLP. Weights row-major [rows, cols], read in place from the blob.
/// </summary>
/// <remarks>Called by the generated model classes; not a user API (hidden from IntelliSense), and its signatures may change between versions.</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static unsafe class Linear
{
    /// <summary>
    /// output[r] = dot(weights[r, 0..cols), input) for r in [0, rows): a matrix-vector product over
    /// row-major weights. With AVX2, blocks of eight rows whose eight accumulators are reduced
    /// together (horizontal adds) instead of one full reduction per row: short rows (Shift-Max's
    /// squeeze layers) interleaved, long rows one after the other.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
                    a0 = Simd.Fma(Vector256.Load(w0 + k), x, a0);
                    a1 = Simd.Fma(Vector256.Load(w1 + k), x, a1);
                    a2 = Simd.Fma(Vector256.Load(w2 + k), x, a2);
                    a3 = Simd.Fma(Vector256.Load(w3 + k), x, a3);
                    a4 = Simd.Fma(Vector256.Load(w4 + k), x, a4);
                    a5 = Simd.Fma(Vector256.Load(w5 + k), x, a5);
                    a6 = Simd.Fma(Vector256.Load(w6 + k), x, a6);
                    a7 = Simd.Fma(Vector256.Load(w7 + k), x, a7);
                }
                if (k < stride)
                {
                    // the columns past the last full vector: one more vector ending at the last
                    // column, with the input lanes already counted (below k) zeroed
                    nint last = stride - 8;
                    var keep = Vector256.GreaterThanOrEqual(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) + Vector256.Create((int)last), Vector256.Create((int)k)).AsSingle();
                    var x = Vector256.LoadUnsafe(ref input, (nuint)last) & keep;
                    a0 = Simd.Fma(Vector256.Load(w0 + last), x, a0);
                    a1 = Simd.Fma(Vector256.Load(w1 + last), x, a1);
                    a2 = Simd.Fma(Vector256.Load(w2 + last), x, a2);
                    a3 = Simd.Fma(Vector256.Load(w3 + last), x, a3);
                    a4 = Simd.Fma(Vector256.Load(w4 + last), x, a4);
                    a5 = Simd.Fma(Vector256.Load(w5 + last), x, a5);
                    a6 = Simd.Fma(Vector256.Load(w6 + last), x, a6);
                    a7 = Simd.Fma(Vector256.Load(w7 + last), x, a7);
                }
                ReduceEight(a0, a1, a2, a3, a4, a5, a6, a7).StoreUnsafe(ref output, (nuint)r);
            }
        }
        else if (!System.Runtime.Intrinsics.X86.Avx2.IsSupported && Vector128.IsHardwareAccelerated && cols >= 8)
        {
            // the 128-bit path (ARM64's AdvSimd): four rows at a time, two accumulators per row over
            // 8 columns a step, so each input vector is loaded once for four rows and the loop's
            // overhead is shared by 8 FMAs (one row at a time with one accumulator: 1.1 instructions
            // per MAC on M0's head under qemu-aarch64)
            nint stride = cols;
            if (System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.IsSupported && cols >= 16)
            {
                // ARM64: eight rows at a time (16 accumulators of the 32 registers), each input LDP
                // shared by eight rows; the same sums in the same order as the four-row steps below
                fixed (float* x = &input)
                    for (; r + 8 <= rows; r += 8)
                        MatVecRows8AdvSimd(weights + r * stride, x, ref Unsafe.Add(ref output, r), stride);
            }
            for (; r + 4 <= rows; r += 4)
            {
                float* w0 = weights + r * stride, w1 = w0 + stride, w2 = w1 + stride, w3 = w2 + stride;
                var a0 = Vector128<float>.Zero; var b0 = a0; var a1 = a0; var b1 = a0;
                var a2 = a0; var b2 = a0; var a3 = a0; var b3 = a0;
                nint k = 0;
                if (System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.IsSupported)
                {
                    // ARM64: 16 columns a step, every pair of vectors one LDP (weights and input)
                    fixed (float* x = &input)
                        for (; k + 16 <= stride; k += 16)
                        {
                            var (x0, x1) = System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.LoadPairVector128(x + k);
                            var (x2, x3) = System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.LoadPairVector128(x + k + 8);
                            MatVecStep4(ref a0, ref b0, w0 + k, x0, x1, x2, x3);
                            MatVecStep4(ref a1, ref b1, w1 + k, x0, x1, x2, x3);
                            MatVecStep4(ref a2, ref b2, w2 + k, x0, x1, x2, x3);
                            MatVecStep4(ref a3, ref b3, w3 + k, x0, x1, x2, x3);
                        }
                }
                for (; k + 8 <= stride; k += 8)
                {
                    var x0 = Vector128.LoadUnsafe(ref input, (nuint)k);
                    var x1 = Vector128.LoadUnsafe(ref input, (nuint)(k + 4));
                    a0 = Simd.Fma(Vector128.Load(w0 + k), x0, a0); b0 = Simd.Fma(Vector128.Load(w0 + k + 4), x1, b0);
                    a1 = Simd.Fma(Vector128.Load(w1 + k), x0, a1); b1 = Simd.Fma(Vector128.Load(w1 + k + 4), x1, b1);
                    a2 = Simd.Fma(Vector128.Load(w2 + k), x0, a2); b2 = Simd.Fma(Vector128.Load(w2 + k + 4), x1, b2);
                    a3 = Simd.Fma(Vector128.Load(w3 + k), x0, a3); b3 = Simd.Fma(Vector128.Load(w3 + k + 4), x1, b3);
                }
                if (k < stride)
                {
                    // the columns past the last full step: one more step ending at the last column,
                    // with the input lanes already counted (below k) zeroed
                    nint last = stride - 8;
                    var lanes = Vector128.Create(0, 1, 2, 3) + Vector128.Create((int)last);
                    var keep0 = Vector128.GreaterThanOrEqual(lanes, Vector128.Create((int)k)).AsSingle();
                    var keep1 = Vector128.GreaterThanOrEqual(lanes + Vector128.Create(4), Vector128.Create((int)k)).AsSingle();
                    var x0 = Vector128.LoadUnsafe(ref input, (nuint)last) & keep0;
                    var x1 = Vector128.LoadUnsafe(ref input, (nuint)(last + 4)) & keep1;
                    a0 = Simd.Fma(Vector128.Load(w0 + last), x0, a0); b0 = Simd.Fma(Vector128.Load(w0 + last + 4), x1, b0);
                    a1 = Simd.Fma(Vector128.Load(w1 + last), x0, a1); b1 = Simd.Fma(Vector128.Load(w1 + last + 4), x1, b1);
                    a2 = Simd.Fma(Vector128.Load(w2 + last), x0, a2); b2 = Simd.Fma(Vector128.Load(w2 + last + 4), x1, b2);
                    a3 = Simd.Fma(Vector128.Load(w3 + last), x0, a3); b3 = Simd.Fma(Vector128.Load(w3 + last + 4), x1, b3);
                }
                Unsafe.Add(ref output, r) = Vector128.Sum(a0 + b0);
                Unsafe.Add(ref output, r + 1) = Vector128.Sum(a1 + b1);
                Unsafe.Add(ref output, r + 2) = Vector128.Sum(a2 + b2);
                Unsafe.Add(ref output, r + 3) = Vector128.Sum(a3 + b3);
            }
        }
        for (; r < rows; r++) Unsafe.Add(ref output, r) = Dot(ref weights[(nint)r * cols], ref input, cols);
    }

    /// <summary>
    /// ARM64: eight rows of <see cref="MatVec"/> (cols &gt;= 16): 16 columns a step, each row's weights
    /// two LDPs from a pointer of its own that advances by the step (the JIT computes w + k per LDP
    /// otherwise: an add before each), the input's two LDPs shared by the eight rows. Per row the
    /// FMAs of the four-row path in its order (two accumulators over alternate vectors, then the
    /// 8-column step, the overlapping last step, the lane sum of their sum), so the same results.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MatVecRows8AdvSimd(float* w0, float* x, ref float output, nint stride)
    {
        float* w1 = w0 + stride, w2 = w1 + stride, w3 = w2 + stride, w4 = w3 + stride, w5 = w4 + stride, w6 = w5 + stride, w7 = w6 + stride;
        var a0 = Vector128<float>.Zero; var b0 = a0; var a1 = a0; var b1 = a0; var a2 = a0; var b2 = a0; var a3 = a0; var b3 = a0;
        var a4 = a0; var b4 = a0; var a5 = a0; var b5 = a0; var a6 = a0; var b6 = a0; var a7 = a0; var b7 = a0;
        float* end = x + (stride & ~(nint)15), xk = x;
        for (; xk < end; xk += 16)
        {
            var x0 = Vector128.Load(xk); var x1 = Vector128.Load(xk + 4);
            var x2 = Vector128.Load(xk + 8); var x3 = Vector128.Load(xk + 12);
            MatVecStep4(ref a0, ref b0, w0, x0, x1, x2, x3); w0 += 16;
            MatVecStep4(ref a1, ref b1, w1, x0, x1, x2, x3); w1 += 16;
            MatVecStep4(ref a2, ref b2, w2, x0, x1, x2, x3); w2 += 16;
            MatVecStep4(ref a3, ref b3, w3, x0, x1, x2, x3); w3 += 16;
            MatVecStep4(ref a4, ref b4, w4, x0, x1, x2, x3); w4 += 16;
            MatVecStep4(ref a5, ref b5, w5, x0, x1, x2, x3); w5 += 16;
            MatVecStep4(ref a6, ref b6, w6, x0, x1, x2, x3); w6 += 16;
            MatVecStep4(ref a7, ref b7, w7, x0, x1, x2, x3); w7 += 16;
        }
        nint k = stride & ~(nint)15;
        if (k + 8 <= stride)
        {
            var x0 = Vector128.Load(x + k); var x1 = Vector128.Load(x + k + 4);
            MatVecStep2(ref a0, ref b0, w0, x0, x1); MatVecStep2(ref a1, ref b1, w1, x0, x1);
            MatVecStep2(ref a2, ref b2, w2, x0, x1); MatVecStep2(ref a3, ref b3, w3, x0, x1);
            MatVecStep2(ref a4, ref b4, w4, x0, x1); MatVecStep2(ref a5, ref b5, w5, x0, x1);
            MatVecStep2(ref a6, ref b6, w6, x0, x1); MatVecStep2(ref a7, ref b7, w7, x0, x1);
            k += 8;
            w0 += 8; w1 += 8; w2 += 8; w3 += 8; w4 += 8; w5 += 8; w6 += 8; w7 += 8;
        }
        if (k < stride)
        {
            // the columns past the last full step: one more step ending at the last column, with
            // the input lanes already counted (below k) zeroed
            nint back = k - (stride - 8); // the last step starts this many columns before k
            var lanes = Vector128.Create(0, 1, 2, 3) + Vector128.Create((int)(stride - 8));
            var keep0 = Vector128.GreaterThanOrEqual(lanes, Vector128.Create((int)k)).AsSingle();
            var keep1 = Vector128.GreaterThanOrEqual(lanes + Vector128.Create(4), Vector128.Create((int)k)).AsSingle();
            var x0 = Vector128.Load(x + stride - 8) & keep0;
            var x1 = Vector128.Load(x + stride - 4) & keep1;
            MatVecStep2(ref a0, ref b0, w0 - back, x0, x1); MatVecStep2(ref a1, ref b1, w1 - back, x0, x1);
            MatVecStep2(ref a2, ref b2, w2 - back, x0, x1); MatVecStep2(ref a3, ref b3, w3 - back, x0, x1);
            MatVecStep2(ref a4, ref b4, w4 - back, x0, x1); MatVecStep2(ref a5, ref b5, w5 - back, x0, x1);
            MatVecStep2(ref a6, ref b6, w6 - back, x0, x1); MatVecStep2(ref a7, ref b7, w7 - back, x0, x1);
        }
        output = Vector128.Sum(a0 + b0);
        Unsafe.Add(ref output, 1) = Vector128.Sum(a1 + b1);
        Unsafe.Add(ref output, 2) = Vector128.Sum(a2 + b2);
        Unsafe.Add(ref output, 3) = Vector128.Sum(a3 + b3);
        Unsafe.Add(ref output, 4) = Vector128.Sum(a4 + b4);
        Unsafe.Add(ref output, 5) = Vector128.Sum(a5 + b5);
        Unsafe.Add(ref output, 6) = Vector128.Sum(a6 + b6);
        Unsafe.Add(ref output, 7) = Vector128.Sum(a7 + b7);
    }

    /// <summary>A row's 8 columns into its two accumulators (the 8-column step of the 128-bit path).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void MatVecStep2(ref Vector128<float> a, ref Vector128<float> b, float* w, Vector128<float> x0, Vector128<float> x1)
    {
        a = Simd.Fma(Vector128.Load(w), x0, a);
        b = Simd.Fma(Vector128.Load(w + 4), x1, b);
    }

    /// <summary>ARM64: a row's 16 columns into its two accumulators, the weights read with two LDPs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void MatVecStep4(ref Vector128<float> a, ref Vector128<float> b, float* w, Vector128<float> x0, Vector128<float> x1, Vector128<float> x2, Vector128<float> x3)
    {
        // four plain loads at constant offsets, which the JIT pairs into two LDPs with immediate
        // offsets (LoadPairVector128 at w + 8 costs an add before its LDP)
        var w0 = Vector128.Load(w); var w1 = Vector128.Load(w + 4);
        var w2 = Vector128.Load(w + 8); var w3 = Vector128.Load(w + 12);
        a = Simd.Fma(w0, x0, a); b = Simd.Fma(w1, x1, b);
        a = Simd.Fma(w2, x2, a); b = Simd.Fma(w3, x3, b);
    }

    /// <summary>Rows of at least this many floats (1 KB) take MatVec's row-after-row walk.</summary>
    internal const int SequentialRowsMinColumns = 256;

    /// <summary>
    /// The lane sums of w[0..n) * input[0..n) (n &gt;= 8) as one vector, four accumulators over 32
    /// columns a step; a last partial vector ends at the last column with the lanes already
    /// counted zeroed in the input.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe Vector256<float> RowDot(float* w, ref float input, nint n)
    {
        var a0 = Vector256<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0;
        nint k = 0;
        for (; k + 32 <= n; k += 32)
        {
            a0 = Simd.Fma(Vector256.Load(w + k), Vector256.LoadUnsafe(ref input, (nuint)k), a0);
            a1 = Simd.Fma(Vector256.Load(w + k + 8), Vector256.LoadUnsafe(ref input, (nuint)(k + 8)), a1);
            a2 = Simd.Fma(Vector256.Load(w + k + 16), Vector256.LoadUnsafe(ref input, (nuint)(k + 16)), a2);
            a3 = Simd.Fma(Vector256.Load(w + k + 24), Vector256.LoadUnsafe(ref input, (nuint)(k + 24)), a3);
        }
        for (; k + 8 <= n; k += 8) a0 = Simd.Fma(Vector256.Load(w + k), Vector256.LoadUnsafe(ref input, (nuint)k), a0);
        if (k < n)
        {
            nint last = n - 8;
            var keep = Vector256.GreaterThanOrEqual(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) + Vector256.Create((int)last), Vector256.Create((int)k)).AsSingle();
            a1 = Simd.Fma(Vector256.Load(w + last), Vector256.LoadUnsafe(ref input, (nuint)last) & keep, a1);
        }
        return (a0 + a1) + (a2 + a3);
    }

    /// <summary>[sum a0, ..., sum a7] in one vector: pairwise horizontal adds, then the two 128-bit halves added.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
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

    /// <summary>The dot product of a[0..n) and b[0..n).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    internal static float Dot(ref float a, ref float b, nint n)
    {
        nint i = 0;
        float sum = 0;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var acc = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8) acc = Simd.Fma(Vector256.LoadUnsafe(ref a, (nuint)i), Vector256.LoadUnsafe(ref b, (nuint)i), acc);
            sum = Vector256.Sum(acc);
        }
        else if (Vector128.IsHardwareAccelerated && n >= 4)
        {
            var acc = Vector128<float>.Zero;
            for (; i <= n - 4; i += 4) acc = Simd.Fma(Vector128.LoadUnsafe(ref a, (nuint)i), Vector128.LoadUnsafe(ref b, (nuint)i), acc);
            sum = Vector128.Sum(acc);
        }
        for (; i < n; i++) sum = Simd.Fma(Unsafe.Add(ref a, i), Unsafe.Add(ref b, i), sum);
        return sum;
    }
}
