// DotRows and the requantization on 512-bit vectors (AVX-512 F + BW): tiles of 32 positions, the
// same int16 pairs and pmaddwd as the AVX2 form (Int8.DotRows.cs), twice as wide; the results are
// the same integers, so the same bytes.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MicroNet.Aot.Runtime;

public static unsafe partial class Int8
{
    /// <summary>Whether the 512-bit forms run here (and are not turned off, as DOTNET_PreferredVectorBitWidth=256 or DOTNET_EnableAVX512=0 do).</summary>
    internal static bool Int8Avx512 => Vector512.IsHardwareAccelerated && Avx512F.IsSupported && Avx512BW.IsSupported;

    /// <summary>Requantize on 16 lanes (AVX-512 F).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<int> Requantize(Vector512<int> x, in ChannelRequant r)
    {
        if (r.Left > 0)
        {
            var shifted = Vector512.ShiftLeft(x, r.Left);
            shifted = Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512.Create(int.MaxValue >> r.Left)), Vector512.Create(int.MaxValue), shifted);
            x = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(int.MinValue >> r.Left)), Vector512.Create(int.MinValue), shifted);
        }
        var q = Vector512.Create(r.Multiplier);
        var half = Vector512.Create(1L << 30);
        // floor((x q + 2^30) / 2^31) (see Int8.Requantize.Simd.cs): even lanes in the low halves, odd ones shifted into the high halves
        var even = Avx512F.ShiftRightLogical(Avx512F.Add(Avx512F.Multiply(x, q), half), 31);
        var odd = Avx512F.ShiftLeftLogical(Avx512F.Add(Avx512F.Multiply(Avx512F.ShiftRightLogical(x.AsInt64(), 32).AsInt32(), q), half), 1);
        var high = Vector512.ConditionalSelect(Vector512.Create(0xFFFFFFFF00000000UL).AsInt32(), odd.AsInt32(), even.AsInt32()); // odd lanes from odd
        if (r.Right > 0)
        {
            var mask = Vector512.Create((1 << r.Right) - 1);
            var remainder = high & mask;
            var threshold = Vector512.Create(((1 << r.Right) - 1) >> 1) + Vector512.ShiftRightLogical(high, 31);
            high = Vector512.ShiftRightArithmetic(high, r.Right) - Vector512.GreaterThan(remainder, threshold); // a true lane is -1
        }
        high += Vector512.Create(r.Zero);
        return Vector512.Min(Vector512.Max(high, Vector512.Create(r.Min)), Vector512.Create(r.Max));
    }

    /// <summary>Positions (0-3, 8-11, 16-19, 24-27) and (4-7, 12-15, 20-23, 28-31) of a tile, 16 of them back in order: indices into (low, high).</summary>
    private static Vector512<int> FirstHalfOrder => Vector512.Create(0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
    private static Vector512<int> SecondHalfOrder => Vector512.Create(8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotRowsAvx512(sbyte** rows, int count, nint width, int* pairs, int* bias, ChannelRequant* requant,
        int outputs, sbyte* output, nint outStride, int inZero, Vector512<short>* packed)
    {
        int p = (count + 1) / 2;
        var zero = Vector512.Create((short)inZero);
        for (nint x = 0; ; x += 32)
        {
            if (x > width - 32) x = width - 32; // the last tile overlaps the one before
            for (int j = 0; j < p; j++)
            {
                var a = Avx512BW.Subtract(Avx512BW.ConvertToVector512Int16(Vector256.Load(rows[2 * j] + x)), zero);
                var b = 2 * j + 1 < count ? Avx512BW.Subtract(Avx512BW.ConvertToVector512Int16(Vector256.Load(rows[2 * j + 1] + x)), zero) : Vector512<short>.Zero;
                packed[2 * j] = Avx512BW.UnpackLow(a, b);
                packed[2 * j + 1] = Avx512BW.UnpackHigh(a, b);
            }
            int o = 0;
            for (; o + 2 <= outputs; o += 2)
            {
                int* w0 = pairs + o * p, w1 = w0 + p;
                Vector512<int> a0 = default, b0 = default, a1 = default, b1 = default;
                for (int j = 0; j < p; j++)
                {
                    var lo = packed[2 * j];
                    var hi = packed[2 * j + 1];
                    var v0 = Vector512.Create(w0[j]).AsInt16();
                    var v1 = Vector512.Create(w1[j]).AsInt16();
                    a0 = Avx512F.Add(a0, Avx512BW.MultiplyAddAdjacent(lo, v0));
                    b0 = Avx512F.Add(b0, Avx512BW.MultiplyAddAdjacent(hi, v0));
                    a1 = Avx512F.Add(a1, Avx512BW.MultiplyAddAdjacent(lo, v1));
                    b1 = Avx512F.Add(b1, Avx512BW.MultiplyAddAdjacent(hi, v1));
                }
                StoreTile32(a0, b0, bias[o], requant[o], output + o * outStride + x);
                StoreTile32(a1, b1, bias[o + 1], requant[o + 1], output + (o + 1) * outStride + x);
            }
            if (o < outputs)
            {
                int* w0 = pairs + o * p;
                Vector512<int> a0 = default, b0 = default;
                for (int j = 0; j < p; j++)
                {
                    var v0 = Vector512.Create(w0[j]).AsInt16();
                    a0 = Avx512F.Add(a0, Avx512BW.MultiplyAddAdjacent(packed[2 * j], v0));
                    b0 = Avx512F.Add(b0, Avx512BW.MultiplyAddAdjacent(packed[2 * j + 1], v0));
                }
                StoreTile32(a0, b0, bias[o], requant[o], output + o * outStride + x);
            }
            if (x == width - 32) break;
        }
    }

    /// <summary>A tile's two sums back in position order, biased, requantized, 32 bytes stored (vpmovsdb: the values are in range, so its saturation changes nothing).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTile32(Vector512<int> low, Vector512<int> high, int bias, in ChannelRequant r, sbyte* destination)
    {
        var b = Vector512.Create(bias);
        var first = Requantize(Avx512F.PermuteVar16x32x2(low, FirstHalfOrder, high) + b, r);
        var second = Requantize(Avx512F.PermuteVar16x32x2(low, SecondHalfOrder, high) + b, r);
        Avx512F.ConvertToVector128SByteWithSaturation(first).Store(destination);
        Avx512F.ConvertToVector128SByteWithSaturation(second).Store(destination + 16);
    }
}
