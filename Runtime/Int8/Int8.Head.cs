// The int8 head (docs/int8.md, "Head" and "Linear"): ReLU6 + global average pool + h_swish, and the
// classifier's linear layers with an integer accumulator and a float32 h_swish.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.Arm;

namespace MicroNet.Aot.Runtime;

public static unsafe partial class Int8
{
    /// <summary>
    /// sum[c] = sum of clamp(q - zero, 0, six) over the plane; m = (float)sum * meanScale;
    /// out[c] = quantize(h_swish(m)) with the head's inverse scale and zero point.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void HeadPool(sbyte* input, int* planes, sbyte* output, int channels, int plane, int inZero, int six, float meanScale,
        float outInverseScale, int outZero)
    {
        for (int c = 0; c < channels; c++)
        {
            // clamp(q - z, 0, six) summed = clamp(q, z, z + six) summed - z * plane (q <= 127 bounds z + six)
            int top = inZero + six > sbyte.MaxValue ? sbyte.MaxValue : inZero + six;
            int sum = SumClamped(input + (long)planes[c] * plane, plane, (sbyte)inZero, (sbyte)top) - inZero * plane;
            output[c] = QuantizeValue(HSwish((float)sum * meanScale), outInverseScale, outZero);
        }
    }

    /// <summary>
    /// y[o] = h_swish((float)(bias[o] + sum of w[o, i] * (in[i] - inZero)) * (float)((double)inScale * weightScale[o])),
    /// then quantized (<paramref name="quantized"/> non-null) or stored as float32 (<paramref name="floats"/>: the model's output).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Linear(sbyte* input, int inFeatures, int outFeatures, sbyte* weights, int* bias, float* weightScales, float inScale, int inZero,
        sbyte* quantized, float outInverseScale, int outZero, float* floats)
    {
        if (Dp.IsSupported)
        {
            // ARM64 with SDOT: on the raw bytes, the zero point's share subtracted afterwards
            // (sum of w (x - z) = sum of w x - z sum of w, exactly in int32)
            for (int o = 0; o < outFeatures; o++)
            {
                sbyte* row = weights + (long)o * inFeatures;
                int acc = bias[o] + DotRaw(row, input, inFeatures, inZero);
                float v = HSwish((float)acc * (float)((double)inScale * weightScales[o]));
                if (floats != null) floats[o] = v;
                else quantized[o] = QuantizeValue(v, outInverseScale, outZero);
            }
            return;
        }
        // the input less its zero point, as int16, once: every row's dot product reads it
        bool widened = inFeatures <= 8192;
        short* x = stackalloc short[widened ? inFeatures : 0];
        if (widened)
            for (int i = 0; i < inFeatures; i++) x[i] = (short)(input[i] - inZero);
        for (int o = 0; o < outFeatures; o++)
        {
            sbyte* row = weights + (long)o * inFeatures;
            int acc = bias[o];
            if (widened) acc += Dot(row, x, inFeatures);
            else
                for (int i = 0; i < inFeatures; i++) acc += row[i] * (input[i] - inZero);
            float v = HSwish((float)acc * (float)((double)inScale * weightScales[o]));
            if (floats != null) floats[o] = v;
            else quantized[o] = QuantizeValue(v, outInverseScale, outZero);
        }
    }
}
