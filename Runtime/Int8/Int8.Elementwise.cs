// int8 kernels that move, clamp or add values (docs/int8.md): the input's quantization, ReLU6,
// max-group pooling, the residual add; and the float32 helpers the scheme defines exactly.
using System.Runtime.CompilerServices;

namespace MicroNet.Aot.Runtime;

public static unsafe partial class Int8
{
    /// <summary>
    /// float32 -> int8 as the scheme defines it: v = x * inverseScale (float32), NaN -> 0, clamped to
    /// [-128 - zero, 127 - zero], rounded half to even, plus zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static sbyte QuantizeValue(float x, float inverseScale, int zero)
    {
        float v = x * inverseScale;
        if (float.IsNaN(v)) v = 0f;
        float lo = -128 - zero, hi = 127 - zero;
        v = v < lo ? lo : v > hi ? hi : v;
        return (sbyte)((int)System.MathF.Round(v) + zero);
    }

    /// <summary>ReLU6 in float32, as the scheme writes it: below 0 gives 0, above 6 gives 6, anything else (-0 included) itself.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Relu6(float v) => v < 0f ? 0f : v > 6f ? 6f : v;

    /// <summary>h_swish in float32: v * (ReLU6(v + 3) / 6).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HSwish(float v) => v * (Relu6(v + 3f) / 6f);

    /// <summary>The network input to int8 (Run's first step).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void QuantizeInput(float* input, sbyte* output, int count, float inverseScale, int zero)
    {
        for (int i = 0; i < count; i++) output[i] = QuantizeValue(input[i], inverseScale, zero);
    }

    /// <summary>ReLU6 on int8 values: clamp to [lo, hi] (the images of 0 and 6), channel c read from plane planes[c].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Clamp(sbyte* input, int* planes, sbyte* output, int channels, int plane, int lo, int hi)
    {
        for (int c = 0; c < channels; c++)
        {
            sbyte* source = input + (long)planes[c] * plane;
            sbyte* result = output + (long)c * plane;
            for (int i = 0; i < plane; i++)
            {
                int v = source[i];
                result[i] = (sbyte)(v < lo ? lo : v > hi ? hi : v);
            }
        }
    }

    /// <summary>Max-group pooling: out[c] = max of input channels c * perGroup .. c * perGroup + perGroup - 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxGroupPool(sbyte* input, int* planes, sbyte* output, int channels, int plane, int perGroup)
    {
        for (int c = 0; c < channels; c++)
        {
            sbyte* result = output + (long)c * plane;
            sbyte* first = input + (long)planes[c * perGroup] * plane;
            for (int i = 0; i < plane; i++) result[i] = first[i];
            for (int k = 1; k < perGroup; k++)
            {
                sbyte* other = input + (long)planes[c * perGroup + k] * plane;
                for (int i = 0; i < plane; i++) if (other[i] > result[i]) result[i] = other[i];
            }
        }
    }

    /// <summary>The residual add's fixed-point constants (TFLite's): each input's multiplier and the output's.</summary>
#pragma warning disable CS1591 // a holder of the constants its kernel documents
    public readonly struct AddParams
    {
        public AddParams(int aZero, int aMultiplier, int aShift, int bZero, int bMultiplier, int bShift, int outMultiplier, int outShift, int outZero)
        {
            AZero = aZero; AMultiplier = aMultiplier; AShift = aShift; BZero = bZero; BMultiplier = bMultiplier; BShift = bShift;
            OutMultiplier = outMultiplier; OutShift = outShift; OutZero = outZero;
        }
        public int AZero { get; }
        public int AMultiplier { get; }
        public int AShift { get; }
        public int BZero { get; }
        public int BMultiplier { get; }
        public int BShift { get; }
        public int OutMultiplier { get; }
        public int OutShift { get; }
        public int OutZero { get; }
    }
#pragma warning restore CS1591

    /// <summary>out = requantize(MBQM((a - za) &lt;&lt; 20, Ma) + MBQM((b - zb) &lt;&lt; 20, Mb), Mout, zout).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Add(sbyte* a, int* aPlanes, sbyte* b, int* bPlanes, sbyte* output, int channels, int plane, in AddParams p)
    {
        for (int c = 0; c < channels; c++)
        {
            sbyte* x = a + (long)aPlanes[c] * plane;
            sbyte* y = b + (long)bPlanes[c] * plane;
            sbyte* result = output + (long)c * plane;
            for (int i = 0; i < plane; i++)
            {
                int sa = Requantization.MultiplyByQuantizedMultiplier((x[i] - p.AZero) << 20, p.AMultiplier, p.AShift);
                int sb = Requantization.MultiplyByQuantizedMultiplier((y[i] - p.BZero) << 20, p.BMultiplier, p.BShift);
                result[i] = Requantization.Requantize(sa + sb, p.OutMultiplier, p.OutShift, p.OutZero);
            }
        }
    }
}
