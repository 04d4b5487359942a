// int8 Dynamic Shift-Max (docs/int8.md, "Dynamic Shift-Max"): channel means from integer sums, the
// squeeze-excite MLP in float32 one operation at a time in a fixed order (int8 weights with a
// per-row scale), int16 coefficients, then integer mixes and one requantization.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

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
            int sum = Sum(input + (long)ownPlanes[ch] * plane, plane) - p.InZero * plane;
            mean[ch] = (float)sum * p.MeanScale;
        }
        // 2. the MLP: each output accumulates its inputs in order, then bias + scale * sum
        RowSums(fc0Weights, mean, c, sq, hidden);
        for (int j = 0; j < sq; j++)
        {
            float h = fc0Bias[j] + fc0Scales[j] * hidden[j];
            hidden[j] = h < 0f ? 0f : h;
        }
        RowSums(fc2Weights, hidden, sq, e * c, y);
        for (int i = 0; i < e * c; i++) y[i] = fc2Bias[i] + fc2Scales[i] * y[i];
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
        var requant = new ChannelRequant(p.Multiplier, p.Shift, p.OutZero, sbyte.MinValue, sbyte.MaxValue);
        for (int ch = 0; ch < c; ch++)
        {
            sbyte* own = input + (long)ownPlanes[ch] * plane;
            sbyte* other = input + (long)partnerPlanes[ch] * plane;
            sbyte* result = output + (long)ch * plane;
            int a1 = coefficients[ch], b1 = coefficients[c + ch];
            int a2 = e == 2 ? 0 : coefficients[2 * c + ch], b2 = e == 2 ? 0 : coefficients[3 * c + ch];
            int i = Mixes(own, other, result, plane, p.InZero, e == 4, a1, b1, a2, b2, requant);
            for (; i < plane; i++)
            {
                int d = own[i] - p.InZero, x = other[i] - p.InZero;
                int first = a1 * d + b1 * x;
                if (e == 4)
                {
                    int second = a2 * d + b2 * x;
                    if (second > first) first = second;
                }
                result[i] = requant.Scalar(first);
            }
        }
    }

    /// <summary>
    /// sums[r] = ((0 + w[r, 0] v[0]) + w[r, 1] v[1]) + ... in float32, each product and each sum
    /// rounded on its own (no fused multiply-add), the terms in order: the scheme's definition. Four
    /// rows at a time, so that four independent chains of additions keep the core busy instead of one
    /// waiting on each add's latency; the order within a row is unchanged, so is every bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowSums(sbyte* weights, float* v, int length, int rows, float* sums)
    {
        int r = 0;
        for (; r + 4 <= rows; r += 4)
        {
            sbyte* w0 = weights + (long)r * length, w1 = w0 + length, w2 = w1 + length, w3 = w2 + length;
            float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f;
            for (int k = 0; k < length; k++)
            {
                float x = v[k];
                a0 += (float)w0[k] * x;
                a1 += (float)w1[k] * x;
                a2 += (float)w2[k] * x;
                a3 += (float)w3[k] * x;
            }
            sums[r] = a0; sums[r + 1] = a1; sums[r + 2] = a2; sums[r + 3] = a3;
        }
        for (; r < rows; r++)
        {
            sbyte* w = weights + (long)r * length;
            float a = 0f;
            for (int k = 0; k < length; k++) a += (float)w[k] * v[k];
            sums[r] = a;
        }
    }

    /// <summary>
    /// The mixes on vectors: (d, x) interleaved as int16 pairs, times the coefficient pair (a, b) by
    /// pmaddwd (smull + addp on ARM64): a d + b x in int32, exactly (|d|, |x| &lt;= 255, |a|, |b| &lt;= 32767).
    /// Returns how many positions it wrote (all, or none for a plane shorter than a vector).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Mixes(sbyte* own, sbyte* other, sbyte* result, int plane, int inZero, bool two, int a1, int b1, int a2, int b2, in ChannelRequant requant)
    {
        int first = (ushort)(short)a1 | (b1 << 16), second = (ushort)(short)a2 | (b2 << 16);
        if (Avx2.IsSupported && plane >= 16)
        {
            var zero = Vector256.Create((short)inZero);
            var c1 = Vector256.Create(first).AsInt16();
            var c2 = Vector256.Create(second).AsInt16();
            for (int i = 0; ; i += 16)
            {
                if (i > plane - 16) i = plane - 16; // the last tile overlaps the one before
                var d = Avx2.Subtract(Avx2.ConvertToVector256Int16(own + i), zero);
                var x = Avx2.Subtract(Avx2.ConvertToVector256Int16(other + i), zero);
                var lo = Avx2.UnpackLow(d, x);
                var hi = Avx2.UnpackHigh(d, x);
                var mlo = Avx2.MultiplyAddAdjacent(lo, c1);
                var mhi = Avx2.MultiplyAddAdjacent(hi, c1);
                if (two)
                {
                    mlo = Avx2.Max(mlo, Avx2.MultiplyAddAdjacent(lo, c2));
                    mhi = Avx2.Max(mhi, Avx2.MultiplyAddAdjacent(hi, c2));
                }
                StoreTile16(mlo, mhi, 0, requant, result + i);
                if (i == plane - 16) return plane;
            }
        }
        if ((Sse41.IsSupported || AdvSimd.Arm64.IsSupported) && plane >= 8)
        {
            var zero = Vector128.Create((short)inZero);
            var c1 = Vector128.Create(first).AsInt16();
            var c2 = Vector128.Create(second).AsInt16();
            for (int i = 0; ; i += 8)
            {
                if (i > plane - 8) i = plane - 8;
                var d = Widen8(own + i) - zero;
                var x = Widen8(other + i) - zero;
                var lo = InterleaveLow(d, x);
                var hi = InterleaveHigh(d, x);
                var mlo = PairProducts(lo, c1);
                var mhi = PairProducts(hi, c1);
                if (two)
                {
                    mlo = Vector128.Max(mlo, PairProducts(lo, c2));
                    mhi = Vector128.Max(mhi, PairProducts(hi, c2));
                }
                var words = Vector128.Narrow(Requantize(mlo, requant), Requantize(mhi, requant));
                Vector128.Narrow(words, words).AsSByte().GetLower().Store(result + i);
                if (i == plane - 8) return plane;
            }
        }
        return 0;
    }
}
