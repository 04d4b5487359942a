// The int8 scheme's choices that are made once, when a model is quantized or compiled: scales and
// zero points from ranges, weight and bias quantization, Shift-Max's coefficient bits and the real
// multipliers the requantizations use. Shared by `micronet quantize` and the generator (and written
// again, independently, in tools/reference/int8_reference.py). docs/int8.md defines every step.
using System;
using MicroNet.Aot.Model.Lowering;

namespace MicroNet.Aot.Model;

public static class Int8Scheme
{
    /// <summary>Round half away from zero (C's round; Python's int8 reference does the same).</summary>
    public static double RoundAway(double v) => Math.Round(v, MidpointRounding.AwayFromZero);

    /// <summary>
    /// Asymmetric int8 for a range containing 0: scale = (hi - lo) / 255 as a float32 (1 when the
    /// range is empty), zero = round(-128 - lo / scale) clamped to [-128, 127].
    /// </summary>
    public static TensorQuant FromRange(double lo, double hi)
    {
        lo = Math.Min(lo, 0); hi = Math.Max(hi, 0);
        float scale = (float)((hi - lo) / 255.0);
        if (!(scale >= Int8Layout.MinScale) || float.IsInfinity(scale)) scale = 1f;
        double zero = RoundAway(-128.0 - lo / scale);
        return new TensorQuant(scale, (int)Math.Max(-128, Math.Min(127, zero)));
    }

    /// <summary>Symmetric per output channel: max|w| / 127 as a float32 (1 for an all-zero channel).</summary>
    public static float[] WeightScales(float[] weights, int outChannels)
    {
        int per = weights.Length / outChannels;
        var scales = new float[outChannels];
        for (int o = 0; o < outChannels; o++)
        {
            double max = 0;
            for (int i = 0; i < per; i++) max = Math.Max(max, Math.Abs((double)weights[o * per + i]));
            float s = (float)(max / 127.0);
            scales[o] = s >= Int8Layout.MinScale ? s : 1f;
        }
        return scales;
    }

    /// <summary>w_q = clamp(round(w / scale), -127, 127) (in double: the float32 weight and scale widened exactly).</summary>
    public static sbyte[] QuantizeWeights(float[] weights, float[] scales)
    {
        int per = weights.Length / scales.Length;
        var q = new sbyte[weights.Length];
        for (int i = 0; i < weights.Length; i++)
            q[i] = (sbyte)Math.Max(-127, Math.Min(127, RoundAway(weights[i] / (double)scales[i / per])));
        return q;
    }

    /// <summary>
    /// b_q = round(b / (input scale * weight scale)), clamped so that the accumulator
    /// b_q + sum of <paramref name="taps"/> products (each at most 127 * 255) cannot overflow int32.
    /// </summary>
    public static int[] QuantizeBias(float[] bias, float[] weightScales, float inputScale, long taps, out int clamped)
    {
        double limit = int.MaxValue - taps * 127.0 * 255.0;
        var q = new int[bias.Length];
        clamped = 0;
        for (int o = 0; o < bias.Length; o++)
        {
            double v = RoundAway(bias[o] / ((double)inputScale * weightScales[o]));
            if (v > limit || v < -limit) { clamped++; v = Math.Max(-limit, Math.Min(limit, v)); v = v < 0 ? Math.Ceiling(v) : Math.Floor(v); }
            q[o] = (int)v;
        }
        return q;
    }

    /// <summary>
    /// The fractional bits of a Shift-Max layer's int16 coefficients: the most (up to 14) for which
    /// (act_max + the largest |init| offset) * 2^bits stays within 32000; -2 if not even 0 bits fit.
    /// </summary>
    public static int CoefficientBits(Layer layer)
    {
        int slots = layer.Coefficients == 4 ? 2 : 1;
        double bound = layer.ActMax;
        double init = 0;
        for (int j = 0; j < slots; j++) init = Math.Max(init, Math.Max(Math.Abs(layer.InitA[j]), Math.Abs(layer.InitB[j])));
        bound += init;
        if (bound > 32000) return -2;
        int bits = QuantizationSpec.MaxCoefficientBits;
        while (bits > 0 && bound * Math.Pow(2, bits) > 32000) bits--;
        return bits;
    }

    /// <summary>The mix's integer sum (int8 differences times coefficients at 2^-bits) to the output: s_in * 2^-bits / s_out.</summary>
    public static double ShiftMaxMultiplier(TensorQuant input, int coefficientBits, TensorQuant output) =>
        (double)input.Scale * Math.Pow(2, -coefficientBits) / output.Scale;

    /// <summary>
    /// TFLite's QuantizeMultiplier, as Runtime/Int8/Requantization.cs has it (the generator cannot
    /// reference the Runtime; a test compares the two on many values): multiplier = quantized *
    /// 2^(shift - 31), quantized in [2^30, 2^31) rounded half away from zero from the IEEE bits.
    /// </summary>
    public static void QuantizeMultiplier(double multiplier, out int quantized, out int shift)
    {
        if (double.IsNaN(multiplier) || double.IsInfinity(multiplier) || multiplier < 0 || multiplier >= 2147483648.0)
            throw new ArgumentOutOfRangeException(nameof(multiplier), "a requantization multiplier must be finite, non-negative and below 2^31, not " + multiplier);
        quantized = 0; shift = 0;
        if (multiplier == 0) return;
        long bits = BitConverter.DoubleToInt64Bits(multiplier);
        int biased = (int)((bits >> 52) & 0x7FF);
        if (biased == 0) return;
        long mantissa = (bits & 0xFFFFFFFFFFFFFL) | (1L << 52);
        int exponent = biased - 1022;
        long q = (mantissa + (1L << 21)) >> 22;
        if (q == 1L << 31) { q >>= 1; exponent++; }
        if (exponent < -31) return;
        quantized = (int)q;
        shift = exponent;
    }

    /// <summary>The residual add's left shift (TFLite's): inputs are scaled by 2^20 before their multipliers.</summary>
    public const int AddLeftShift = 20;

    /// <summary>TFLite's add: twice = 2 max(s_a, s_b); a and b by s / twice, the sum by twice / (2^20 s_out).</summary>
    public static (double A, double B, double Output) AddMultipliers(float a, float b, float output)
    {
        double twice = 2.0 * Math.Max((double)a, b);
        return (a / twice, b / twice, twice / ((1 << AddLeftShift) * (double)output));
    }
}
