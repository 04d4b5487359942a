// The integer arithmetic of the int8 scheme (docs/int8-study.md; issue 22): a real multiplier as
// an int32 fixed-point multiplier and a power-of-two shift, and the requantization of an int32
// accumulator with it, rounding as gemmlowp and TFLite do, so every result is exactly defined and
// equal on every target. The oracle is tools/reference/int8_ops.py, written from the same
// definitions (tests/MicroNet.Aot.Tests/RequantizationTests.cs compares them case by case).
using System;
using System.Runtime.CompilerServices;

namespace MicroNet.Aot.Runtime;

/// <summary>
/// Fixed-point requantization, scalar and exact: the definition every int8 kernel must reproduce
/// bit for bit (the kernels' SIMD forms are checked against these).
/// </summary>
/// <remarks>Called by the generated model classes and the quantizer; its signatures may change between versions.</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class Requantization
{
    /// <summary>
    /// Writes <paramref name="multiplier"/> as <c>quantized * 2^(shift - 31)</c>: <paramref name="quantized"/> in
    /// [2^30, 2^31) (0 for a zero or negligible multiplier), rounded half away from zero from the
    /// exact binary fraction of <paramref name="multiplier"/> (TFLite's QuantizeMultiplier).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The multiplier is negative, not finite, or 2^31 or more.</exception>
    public static void QuantizeMultiplier(double multiplier, out int quantized, out int shift)
    {
        if (!double.IsFinite(multiplier) || multiplier < 0 || multiplier >= 2147483648.0)
            throw new ArgumentOutOfRangeException(nameof(multiplier), multiplier, "a requantization multiplier must be finite, non-negative and below 2^31");
        if (multiplier == 0) { quantized = 0; shift = 0; return; }
        // multiplier = fraction * 2^exponent with fraction in [0.5, 1): read off the IEEE bits (exact)
        long bits = BitConverter.DoubleToInt64Bits(multiplier);
        int biased = (int)((bits >> 52) & 0x7FF);
        long mantissa = bits & 0xFFFFFFFFFFFFFL;
        if (biased == 0)
        {
            // subnormal: far below any multiplier that survives the shift range
            quantized = 0; shift = 0; return;
        }
        mantissa |= 1L << 52;               // fraction = mantissa / 2^53
        int exponent = biased - 1022;       // multiplier = (mantissa / 2^53) * 2^exponent
        // quantized = round(fraction * 2^31) = round(mantissa / 2^22), half away from zero
        long q = (mantissa + (1L << 21)) >> 22;
        if (q == 1L << 31) { q >>= 1; exponent++; }
        if (exponent < -31) { quantized = 0; shift = 0; return; }
        quantized = (int)q;
        shift = exponent;
    }

    /// <summary>
    /// round(a * b / 2^31), ties away from zero, saturated: the one overflowing case
    /// (a = b = int.MinValue) gives int.MaxValue (gemmlowp's SaturatingRoundingDoublingHighMul).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SaturatingRoundingDoublingHighMul(int a, int b)
    {
        if (a == int.MinValue && b == int.MinValue) return int.MaxValue;
        long product = (long)a * b;
        long nudge = product >= 0 ? 1L << 30 : 1 - (1L << 30);
        // division truncating toward zero, as C's: the nudge made it round to nearest
        return (int)((product + nudge) / (1L << 31));
    }

    /// <summary>x / 2^exponent rounded to nearest, ties away from zero (gemmlowp's RoundingDivideByPOT); <paramref name="exponent"/> in [0, 31].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int RoundingDivideByPowerOfTwo(int x, int exponent)
    {
        int mask = (int)((1L << exponent) - 1);
        int remainder = x & mask;
        int threshold = (mask >> 1) + (x < 0 ? 1 : 0);
        return (x >> exponent) + (remainder > threshold ? 1 : 0);
    }

    /// <summary>
    /// x times the real multiplier <c>quantized * 2^(shift - 31)</c>, rounded as TFLite's
    /// MultiplyByQuantizedMultiplier: a left shift (saturating) for shift &gt; 0, the rounding
    /// doubling high multiply, then a rounding right shift for shift &lt; 0. <paramref name="shift"/> in [-31, 30].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int MultiplyByQuantizedMultiplier(int x, int quantized, int shift)
    {
        if (shift > 0)
        {
            // TFLite leaves an overflowing left shift undefined; here it saturates
            long shifted = (long)x << shift;
            x = shifted > int.MaxValue ? int.MaxValue : shifted < int.MinValue ? int.MinValue : (int)shifted;
        }
        int high = SaturatingRoundingDoublingHighMul(x, quantized);
        return shift < 0 ? RoundingDivideByPowerOfTwo(high, -shift) : high;
    }

    /// <summary>An int32 accumulator to int8: scaled, the output zero point added, clamped to [<paramref name="min"/>, <paramref name="max"/>] (a fused ReLU6 narrows them).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static sbyte Requantize(int accumulator, int quantized, int shift, int zeroPoint, int min = sbyte.MinValue, int max = sbyte.MaxValue)
    {
        long value = (long)MultiplyByQuantizedMultiplier(accumulator, quantized, shift) + zeroPoint;
        return (sbyte)(value < min ? min : value > max ? max : value);
    }
}
