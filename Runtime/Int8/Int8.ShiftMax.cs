// int8 Dynamic Shift-Max (docs/int8.md, "Dynamic Shift-Max"): channel means from integer sums, the
// squeeze-excite MLP in float32 one operation at a time in a fixed order (int8 weights with a
// per-row scale), int16 coefficients, then integer mixes and one requantization.
using System.Runtime.CompilerServices;

namespace MicroNet.Aot.Runtime;

public static unsafe partial class Int8
{
    /// <summary>The constants of one int8 Shift-Max layer.</summary>
#pragma warning disable CS1591 // a holder of the constants its kernel documents
    public readonly struct ShiftMaxParams
    {
        public ShiftMaxParams(int channels, int plane, int squeeze, int coefficients, int coefficientBits, float meanScale, float coefficientScale,
            float initA0, float initB0, float initA1, float initB1, int inZero, int multiplier, int shift, int outZero)
        {
            Channels = channels; Plane = plane; Squeeze = squeeze; Coefficients = coefficients; CoefficientBits = coefficientBits;
            MeanScale = meanScale; CoefficientScale = coefficientScale; InitA0 = initA0; InitB0 = initB0; InitA1 = initA1; InitB1 = initB1;
            InZero = inZero; Multiplier = multiplier; Shift = shift; OutZero = outZero;
        }
        public int Channels { get; }
        public int Plane { get; }
        public int Squeeze { get; }
        /// <summary>2 (one mix) or 4 (the max of two).</summary>
        public int Coefficients { get; }
        public int CoefficientBits { get; }
        /// <summary>(float)(input scale / plane): a channel's integer sum times this is its mean.</summary>
        public float MeanScale { get; }
        /// <summary>(float)(2 * act_max).</summary>
        public float CoefficientScale { get; }
        public float InitA0 { get; }
        public float InitB0 { get; }
        public float InitA1 { get; }
        public float InitB1 { get; }
        public int InZero { get; }
        public int Multiplier { get; }
        public int Shift { get; }
        public int OutZero { get; }
    }
#pragma warning restore CS1591

    /// <summary>1/6 as float32 (0x3E2AAAAB): the official Shift-Max multiplies by it instead of dividing by 6.</summary>
    private const float OneSixth = 0.166666672f;

    /// <summary>
    /// One Shift-Max layer. Channel c is read from plane ownPlanes[c] and mixed with plane
    /// partnerPlanes[c] (the partner channel's plane); the MLP's weights are int8 rows with a float32
    /// scale each (fc0: squeeze x channels, fc2: coefficients*channels x squeeze), biases float32.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ShiftMax(sbyte* input, int* ownPlanes, int* partnerPlanes, sbyte* output, in ShiftMaxParams p,
        sbyte* fc0Weights, float* fc0Scales, float* fc0Bias, sbyte* fc2Weights, float* fc2Scales, float* fc2Bias, float* scratch, int* coefficients)
    {
        int c = p.Channels, plane = p.Plane, sq = p.Squeeze, e = p.Coefficients;
        float* mean = scratch, hidden = scratch + c, y = scratch + c + sq;
        // 1. the channel means: an exact integer sum, one float32 product
        for (int ch = 0; ch < c; ch++)
        {
            sbyte* source = input + (long)ownPlanes[ch] * plane;
            int sum = 0;
            for (int i = 0; i < plane; i++) sum += source[i] - p.InZero;
            mean[ch] = (float)sum * p.MeanScale;
        }
        // 2. the MLP: each output accumulates its inputs in order, then bias + scale * sum
        for (int j = 0; j < sq; j++)
        {
            sbyte* row = fc0Weights + (long)j * c;
            float acc = 0f;
            for (int k = 0; k < c; k++) acc += (float)row[k] * mean[k];
            float h = fc0Bias[j] + fc0Scales[j] * acc;
            hidden[j] = h < 0f ? 0f : h;
        }
        for (int i = 0; i < e * c; i++)
        {
            sbyte* row = fc2Weights + (long)i * sq;
            float acc = 0f;
            for (int j = 0; j < sq; j++) acc += (float)row[j] * hidden[j];
            y[i] = fc2Bias[i] + fc2Scales[i] * acc;
        }
        // 3. the coefficients: (h_sigmoid(y) - 0.5) * 2 act_max + init, then int16 at 2^-bits
        float unit = (float)(1 << p.CoefficientBits);
        for (int i = 0; i < e * c; i++)
        {
            float t = Relu6(y[i] + 3f) * OneSixth;
            float v = (t - 0.5f) * p.CoefficientScale;
            int slot = i / c;
            float init = slot == 0 ? p.InitA0 : slot == 1 ? p.InitB0 : slot == 2 ? p.InitA1 : p.InitB1;
            float r = System.MathF.Round((v + init) * unit);
            coefficients[i] = r < -32767f ? -32767 : r > 32767f ? 32767 : (int)r;
        }
        // 4. the integer mixes and one requantization
        for (int ch = 0; ch < c; ch++)
        {
            sbyte* own = input + (long)ownPlanes[ch] * plane;
            sbyte* other = input + (long)partnerPlanes[ch] * plane;
            sbyte* result = output + (long)ch * plane;
            int a1 = coefficients[ch], b1 = coefficients[c + ch];
            if (e == 2)
            {
                for (int i = 0; i < plane; i++)
                {
                    int d = own[i] - p.InZero, x = other[i] - p.InZero;
                    result[i] = Requantization.Requantize(a1 * d + b1 * x, p.Multiplier, p.Shift, p.OutZero);
                }
                continue;
            }
            int a2 = coefficients[2 * c + ch], b2 = coefficients[3 * c + ch];
            for (int i = 0; i < plane; i++)
            {
                int d = own[i] - p.InZero, x = other[i] - p.InZero;
                int first = a1 * d + b1 * x, second = a2 * d + b2 * x;
                result[i] = Requantization.Requantize(first > second ? first : second, p.Multiplier, p.Shift, p.OutZero);
            }
        }
    }
}
