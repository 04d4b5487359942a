// Requantization.Requantize on vectors of int32 accumulators, bit for bit the scalar definition
// (Runtime/Int8/Requantization.cs), for one output channel at a time (its multiplier, shift and
// zero point broadcast).
//
// Why the vector forms are exact: for a positive multiplier q (QuantizeMultiplier gives q in
// [2^30, 2^31)), SaturatingRoundingDoublingHighMul(x, q) = trunc((x q + nudge) / 2^31) with
// nudge = 2^30 for x q >= 0 and 1 - 2^30 below equals floor((x q + 2^30) / 2^31) for every x:
// for p = x q < 0, trunc((p + 1 - 2^30) / 2^31) = ceil(...) = floor((p + 2^30) / 2^31). That is
// one 64-bit add and shift (x64: pmuldq, paddq, psrlq; the result's low 32 bits are the same for a
// logical as for an arithmetic shift, since it fits in 32 bits), and it is exactly ARM64's SQRDMULH
// (saturating only for int.MinValue squared, which a positive q never meets).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace MicroNet.Aot.Runtime;

public static unsafe partial class Int8
{
    /// <summary>One output channel's requantization constants, split for the vector forms.</summary>
    internal readonly struct ChannelRequant
    {
        public ChannelRequant(int multiplier, int shift, int zero, int min, int max)
        {
            Multiplier = multiplier;
            Shift = shift;
            Left = shift > 0 ? shift : 0;
            Right = shift < 0 ? -shift : 0;
            Zero = zero;
            Min = min;
            Max = max;
        }
        public int Multiplier { get; }
        public int Shift { get; }
        /// <summary>The saturating left shift before the multiply (shift &gt; 0).</summary>
        public int Left { get; }
        /// <summary>The rounding right shift after it (shift &lt; 0).</summary>
        public int Right { get; }
        public int Zero { get; }
        public int Min { get; }
        public int Max { get; }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public sbyte Scalar(int accumulator) => Requantization.Requantize(accumulator, Multiplier, Shift, Zero, Min, Max);
    }

    /// <summary>Requantize on 8 lanes (AVX2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<int> Requantize(Vector256<int> x, in ChannelRequant r)
    {
        var high = Avx2.Add(MultiplyByQuantizedMultiplier(x, r), Vector256.Create(r.Zero));
        return Avx2.Min(Avx2.Max(high, Vector256.Create(r.Min)), Vector256.Create(r.Max));
    }

    /// <summary>Requantization.MultiplyByQuantizedMultiplier on 8 lanes (AVX2): no zero point, no clamp.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<int> MultiplyByQuantizedMultiplier(Vector256<int> x, in ChannelRequant r)
    {
        if (r.Left > 0)
        {
            // (long)x << left, saturated to int32: the lanes beyond int.MaxValue >> left (or below
            // int.MinValue >> left) become int.MaxValue (int.MinValue)
            var shifted = Vector256.ShiftLeft(x, r.Left);
            shifted = Vector256.ConditionalSelect(Avx2.CompareGreaterThan(x, Vector256.Create(int.MaxValue >> r.Left)), Vector256.Create(int.MaxValue), shifted);
            x = Vector256.ConditionalSelect(Avx2.CompareGreaterThan(Vector256.Create(int.MinValue >> r.Left), x), Vector256.Create(int.MinValue), shifted);
        }
        var q = Vector256.Create(r.Multiplier);
        var half = Vector256.Create(1L << 30);
        // even lanes: the 64-bit products of lanes 0, 2, 4, 6; floor((p + 2^30) / 2^31) in their low halves
        var even = Avx2.ShiftRightLogical(Avx2.Add(Avx2.Multiply(x, q), half), 31);
        // odd lanes: moved down, multiplied, and the result shifted into the high halves (<< 1 instead of >> 31 then << 32)
        var odd = Avx2.ShiftLeftLogical(Avx2.Add(Avx2.Multiply(Avx2.ShiftRightLogical(x.AsInt64(), 32).AsInt32(), q), half), 1);
        var high = Avx2.Blend(even.AsInt32(), odd.AsInt32(), 0b1010_1010);
        if (r.Right > 0)
        {
            // RoundingDivideByPowerOfTwo: (x >> e) + (remainder > (mask >> 1) + (x < 0 ? 1 : 0))
            var mask = Vector256.Create((1 << r.Right) - 1);
            var remainder = high & mask;
            var threshold = Vector256.Create(((1 << r.Right) - 1) >> 1) + Avx2.ShiftRightLogical(high, 31);
            high = Avx2.Subtract(Vector256.ShiftRightArithmetic(high, r.Right), Avx2.CompareGreaterThan(remainder, threshold));
        }
        return high;
    }

    /// <summary>Requantize on 4 lanes (SSE4.1 or ARM64 AdvSimd; callers check <see cref="Requantize128Supported"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<int> Requantize(Vector128<int> x, in ChannelRequant r)
    {
        var high = MultiplyByQuantizedMultiplier(x, r) + Vector128.Create(r.Zero);
        return Vector128.Min(Vector128.Max(high, Vector128.Create(r.Min)), Vector128.Create(r.Max));
    }

    /// <summary>Requantization.MultiplyByQuantizedMultiplier on 4 lanes (SSE4.1 or ARM64 AdvSimd): no zero point, no clamp.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<int> MultiplyByQuantizedMultiplier(Vector128<int> x, in ChannelRequant r)
    {
        if (r.Left > 0)
        {
            var shifted = Vector128.ShiftLeft(x, r.Left);
            shifted = Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128.Create(int.MaxValue >> r.Left)), Vector128.Create(int.MaxValue), shifted);
            x = Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128.Create(int.MinValue >> r.Left)), Vector128.Create(int.MinValue), shifted);
        }
        var q = Vector128.Create(r.Multiplier);
        Vector128<int> high;
        if (AdvSimd.IsSupported)
        {
            high = AdvSimd.MultiplyRoundedDoublingSaturateHigh(x, q); // SQRDMULH: floor((x q + 2^30) / 2^31)
        }
        else
        {
            var half = Vector128.Create(1L << 30);
            var even = Sse2.ShiftRightLogical(Sse2.Add(Sse41.Multiply(x, q), half), 31);
            var odd = Sse2.ShiftLeftLogical(Sse2.Add(Sse41.Multiply(Sse2.ShiftRightLogical(x.AsInt64(), 32).AsInt32(), q), half), 1);
            high = Sse41.Blend(even.AsInt16(), odd.AsInt16(), 0b1100_1100).AsInt32();
        }
        if (r.Right > 0)
        {
            var mask = Vector128.Create((1 << r.Right) - 1);
            var remainder = high & mask;
            var threshold = Vector128.Create(((1 << r.Right) - 1) >> 1) + Vector128.ShiftRightLogical(high, 31);
            high = Vector128.ShiftRightArithmetic(high, r.Right) - Vector128.GreaterThan(remainder, threshold); // a true lane is -1
        }
        return high;
    }

    /// <summary>Whether <see cref="Requantize(Vector128{int}, in ChannelRequant)"/> runs on this machine.</summary>
    internal static bool Requantize128Supported => AdvSimd.IsSupported || Sse41.IsSupported;
}
