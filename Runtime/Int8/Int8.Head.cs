// The int8 head (docs/int8.md, "Head" and "Linear"): ReLU6 + global average pool + h_swish, and the
// classifier's linear layers with an integer accumulator and a float32 h_swish.
using System.Runtime.CompilerServices;

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
            sbyte* source = input + (long)planes[c] * plane;
            int sum = 0;
            for (int i = 0; i < plane; i++)
            {
                int v = source[i] - inZero;
                sum += v < 0 ? 0 : v > six ? six : v;
            }
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
        for (int o = 0; o < outFeatures; o++)
        {
            sbyte* row = weights + (long)o * inFeatures;
            int acc = bias[o];
            for (int i = 0; i < inFeatures; i++) acc += row[i] * (input[i] - inZero);
            float v = HSwish((float)acc * (float)((double)inScale * weightScales[o]));
            if (floats != null) floats[o] = v;
            else quantized[o] = QuantizeValue(v, outInverseScale, outZero);
        }
    }
}
