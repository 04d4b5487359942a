using System;

namespace MicroNet.Aot.Runtime.Reference;

/// <summary>The elementwise operators as plain loops. Same signatures as <see cref="Runtime.Elementwise"/>.</summary>
/// <remarks>The tests' oracle for the optimized kernels; not a user API (hidden from IntelliSense).</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static unsafe class Elementwise
{
    /// <summary>x[i] = min(max(x[i], 0), 6).</summary>
    public static void Relu6(ref float x, nint n)
    {
        fixed (float* values = &x)
            for (nint i = 0; i < n; i++) values[i] = Rules.Relu6(values[i]);
    }

    /// <summary>dst[i] = max(a[i], b[i]).</summary>
    public static void Max(ref float dst, ref float a, ref float b, nint n)
    {
        fixed (float* result = &dst, first = &a, second = &b)
            for (nint i = 0; i < n; i++) result[i] = first[i] > second[i] ? first[i] : second[i];
    }

    /// <summary>dst[i] += src[i].</summary>
    public static void Add(ref float dst, ref float src, nint n)
    {
        fixed (float* result = &dst, addend = &src)
            for (nint i = 0; i < n; i++) result[i] += addend[i];
    }

    /// <summary>x[j] = max(x[j] + bias[j], 0).</summary>
    public static void AddBiasRelu(ref float x, float* bias, nint n)
    {
        fixed (float* values = &x)
            for (nint j = 0; j < n; j++) values[j] = Math.Max(values[j] + bias[j], 0f);
    }

    /// <summary>x[j] = h_swish(x[j] + bias[j]).</summary>
    public static void AddBiasHSwish(ref float x, float* bias, nint n)
    {
        fixed (float* values = &x)
            for (nint j = 0; j < n; j++) values[j] = HSwish(values[j] + bias[j]);
    }

    /// <summary>h_swish(x) = x * ReLU6(x + 3) / 6, as the official head computes it.</summary>
    public static float HSwish(float x) => x * (Rules.Relu6(x + 3f) / 6f);

    /// <summary>dst[i] = src[i].</summary>
    public static void Copy(ref float src, ref float dst, nint n)
    {
        fixed (float* from = &src, to = &dst)
            for (nint i = 0; i < n; i++) to[i] = from[i];
    }

    /// <summary>The sum of x[0..n), left to right (the optimized Sum fixes another order: they agree to rounding).</summary>
    public static float Sum(ref float x, nint n)
    {
        float total = 0f;
        fixed (float* values = &x)
            for (nint i = 0; i < n; i++) total += values[i];
        return total;
    }

    /// <summary>The sum of ReLU6(x[i]) (the head's ReLU6 before its average pool).</summary>
    public static float SumRelu6(ref float x, nint n)
    {
        float total = 0f;
        fixed (float* values = &x)
            for (nint i = 0; i < n; i++) total += Rules.Relu6(values[i]);
        return total;
    }
}
