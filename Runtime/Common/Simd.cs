using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Runtime.Intrinsics.Arm;

namespace MicroNet.Aot.Runtime;

/// <summary>
/// Per-vector helpers every kernel shares: fused multiply-add where the hardware has it, native
/// max / min, ReLU6 at each width. Internal: the generated code never calls these directly.
/// </summary>
internal static unsafe class Simd
{
    // Fused multiply-add only where the hardware has it (x86 FMA3, ARM64 AdvSimd); elsewhere a
    // multiply and an add, never the software-emulated fused operation.

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    internal static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        System.Runtime.Intrinsics.X86.Fma.IsSupported ? System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a, b, c) : a * b + c;

    // max / min as one instruction (vmaxps / fmax): .NET 9+'s Vector.Max / Min add NaN and signed-zero
    // handling (four instructions on x64) that finite activations never need; .NET 8's are native.
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    internal static Vector256<float> MaxNative(Vector256<float> a, Vector256<float> b) =>
#if NET9_0_OR_GREATER
        Vector256.MaxNative(a, b);
#else
        Vector256.Max(a, b);
#endif

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    internal static Vector128<float> MaxNative(Vector128<float> a, Vector128<float> b) =>
#if NET9_0_OR_GREATER
        Vector128.MaxNative(a, b);
#else
        Vector128.Max(a, b);
#endif

    /// <summary>min(max(v, 0), 6) per lane, with the native instructions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    internal static Vector256<float> Relu6(Vector256<float> v) =>
#if NET9_0_OR_GREATER
        Vector256.MinNative(Vector256.MaxNative(v, Vector256<float>.Zero), Vector256.Create(6f));
#else
        Vector256.Min(Vector256.Max(v, Vector256<float>.Zero), Vector256.Create(6f));
#endif

    /// <summary>min(max(v, 0), 6) per lane as <c>vmaxps</c> / <c>vminps</c> (the AVX-512 kernels; the semantics of the 256-bit one).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    internal static Vector512<float> Relu6(Vector512<float> v) =>
        System.Runtime.Intrinsics.X86.Avx512F.Min(System.Runtime.Intrinsics.X86.Avx512F.Max(v, Vector512<float>.Zero), Vector512.Create(6f));

    /// <summary>min(max(v, 0), 6) per lane, with the native instructions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    internal static Vector128<float> Relu6(Vector128<float> v) =>
#if NET9_0_OR_GREATER
        Vector128.MinNative(Vector128.MaxNative(v, Vector128<float>.Zero), Vector128.Create(6f));
#else
        Vector128.Min(Vector128.Max(v, Vector128<float>.Zero), Vector128.Create(6f));
#endif

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    internal static Vector128<float> Fma(Vector128<float> a, Vector128<float> b, Vector128<float> c)
    {
        if (System.Runtime.Intrinsics.X86.Fma.IsSupported) return System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a, b, c);
        if (System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported) return System.Runtime.Intrinsics.Arm.AdvSimd.FusedMultiplyAdd(c, a, b);
        return a * b + c;
    }

    /// <summary>a * b + c, fused where the hardware has FMA.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    internal static float Fma(float a, float b, float c) =>
        System.Runtime.Intrinsics.X86.Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported ? MathF.FusedMultiplyAdd(a, b, c) : a * b + c;

    /// <summary>min(max(x, 0), 6).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    internal static float Relu6(float x) => MathF.Min(MathF.Max(x, 0f), 6f);
}
