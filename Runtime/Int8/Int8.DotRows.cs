// The core of the fast int8 convolutions: every conv MicroNet has (1x1 group convs, k x 1 and
// 1 x k, depthwise or dense) is, for one group and one span of output positions, a weighted sum of
// a few input "rows" (a plane, a plane's row shifted by a tap, a padded or deinterleaved copy):
//
//   out[o][x] = requantize(bias[o] + sum over j of w[o][j] * (rows[j][x] - inZero))
//
// computed here in int32, exactly (integer sums do not depend on their order), over tiles of 16
// (AVX2) or 8 (SSE4.1 / ARM64) positions. Each tile's inputs are widened to int16 once, the zero
// point subtracted (|q - z| <= 255), and interleaved in pairs of rows, then shared by every output
// of the group: pmaddwd (x64) or smull + addp (ARM64) multiplies a pair by a pair of weights and
// adds the two products into int32. The last tile overlaps the one before (recomputing the same
// values); spans shorter than a tile take the scalar loop.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace MicroNet.Aot.Runtime;

public static unsafe partial class Int8
{
    /// <summary>Most rows (inputs per group x taps) the fast kernels take: the packed tile stays under 16 KB of stack.</summary>
    internal const int MaxDotRows = 256;

    /// <summary>The bytes of the packed tile <see cref="DotRows"/> needs for <paramref name="count"/> rows: (count + 1) / 2 pairs of 64-byte vectors.</summary>
    internal static int TileBytes(int count) => (count + 1) / 2 * 128;

    /// <summary>Whether this machine has a vector form of <see cref="DotRows"/>.</summary>
    internal static bool DotRowsAccelerated => Avx2.IsSupported || Sse41.IsSupported || AdvSimd.Arm64.IsSupported;

    /// <summary>The ints <see cref="PackWeights"/> writes for a group.</summary>
    internal static int PackedWeightInts(int count, int outputs) => outputs * ((count + 1) / 2) + outputs * ((count + 3) / 4) + outputs;

    /// <summary>Where the SDOT quads start in <see cref="PackWeights"/>'s output (after the pairs).</summary>
    private static int* Quads(int* packed, int count, int outputs) => packed + outputs * ((count + 1) / 2);

    /// <summary>
    /// The group's weights as the vector forms want them: pairs for pmaddwd (and the 128-bit forms)
    /// first; on ARM64 with SDOT (<see cref="Dp"/>) then quads (quads[o * Q + j] = the bytes
    /// w[o][4j .. 4j + 3], 0 past the last row, Q = (count + 3) / 4) and after them the biases less
    /// inZero times each output's weight sum (SDOT multiplies the raw int8 values: sum of w (x - z) =
    /// sum of w x - z sum of w, exactly, in int32).
    /// </summary>
    internal static void PackWeights(sbyte* weights, int count, int outputs, int* bias, int inZero, int* packed)
    {
        PackWeightPairs(weights, count, outputs, packed);
        if (!Dp.IsSupported) return;
        int q = (count + 3) / 4;
        packed = Quads(packed, count, outputs);
        int* corrected = packed + outputs * q;
        for (int o = 0; o < outputs; o++)
        {
            sbyte* w = weights + (long)o * count;
            int sum = 0;
            for (int j = 0; j < count; j++) sum += w[j];
            corrected[o] = bias[o] - inZero * sum;
            for (int j = 0; j < q; j++)
            {
                int quad = 0;
                for (int t = 0; t < 4; t++)
                    if (4 * j + t < count) quad |= (byte)w[4 * j + t] << (8 * t);
                packed[o * q + j] = quad;
            }
        }
    }

    /// <summary>
    /// Weight pairs for pmaddwd: pairs[o * P + j] holds w[o][2j] in its low 16 bits and w[o][2j + 1]
    /// (0 past the last row) in its high 16 bits, P = (count + 1) / 2.
    /// </summary>
    internal static void PackWeightPairs(sbyte* weights, int count, int outputs, int* pairs)
    {
        int p = (count + 1) / 2;
        for (int o = 0; o < outputs; o++)
        {
            sbyte* w = weights + (long)o * count;
            for (int j = 0; j < p; j++)
            {
                int low = (ushort)(short)w[2 * j];
                int high = 2 * j + 1 < count ? w[2 * j + 1] : 0;
                pairs[o * p + j] = low | (high << 16);
            }
        }
    }

    /// <summary>
    /// out[o * outStride + x] = requantize(bias[o] + sum over j &lt; count of weights[o * count + j] * (rows[j][x] - inZero))
    /// for o &lt; outputs, x &lt; width. Every rows[j] must be readable over [0, width); <paramref name="tile"/>
    /// holds <see cref="TileBytes"/>(count) bytes, 64-byte aligned.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void DotRows(sbyte** rows, int count, nint width, sbyte* weights, int* pairs, int* bias, ChannelRequant* requant,
        int outputs, sbyte* output, nint outStride, int inZero, void* tile)
    {
        if (Int8Avx512 && width >= 32)
            DotRowsAvx512(rows, count, width, pairs, bias, requant, outputs, output, outStride, inZero, (Vector512<short>*)tile);
        else if (Avx2.IsSupported && width >= 16)
            DotRowsAvx2(rows, count, width, pairs, bias, requant, outputs, output, outStride, inZero, (Vector256<short>*)tile);
        else if (Dp.IsSupported && width >= 16)
            DotRowsDp(rows, count, width, Quads(pairs, count, outputs), requant, outputs, output, outStride, (Vector128<sbyte>*)tile);
        else if ((Sse41.IsSupported || AdvSimd.Arm64.IsSupported) && width >= 8)
            DotRows128(rows, count, width, pairs, bias, requant, outputs, output, outStride, inZero, (Vector128<short>*)tile);
        else
            DotRowsScalar(rows, count, width, weights, bias, requant, outputs, output, outStride, inZero);
    }

    private static void DotRowsScalar(sbyte** rows, int count, nint width, sbyte* weights, int* bias, ChannelRequant* requant,
        int outputs, sbyte* output, nint outStride, int inZero)
    {
        for (int o = 0; o < outputs; o++)
        {
            sbyte* w = weights + (long)o * count;
            for (nint x = 0; x < width; x++)
            {
                int acc = bias[o];
                for (int j = 0; j < count; j++) acc += w[j] * (rows[j][x] - inZero);
                output[o * outStride + x] = requant[o].Scalar(acc);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotRowsAvx2(sbyte** rows, int count, nint width, int* pairs, int* bias, ChannelRequant* requant,
        int outputs, sbyte* output, nint outStride, int inZero, Vector256<short>* packed)
    {
        int p = (count + 1) / 2;
        // packed: per pair of rows, positions {0-3, 8-11} then {4-7, 12-15} of the tile (unpack works within 128-bit lanes)
        var zero = Vector256.Create((short)inZero);
        for (nint x = 0; ; x += 16)
        {
            if (x > width - 16) x = width - 16; // the last tile overlaps the one before
            for (int j = 0; j < p; j++)
            {
                var a = Avx2.Subtract(Avx2.ConvertToVector256Int16(rows[2 * j] + x), zero);
                var b = 2 * j + 1 < count ? Avx2.Subtract(Avx2.ConvertToVector256Int16(rows[2 * j + 1] + x), zero) : Vector256<short>.Zero;
                packed[2 * j] = Avx2.UnpackLow(a, b);
                packed[2 * j + 1] = Avx2.UnpackHigh(a, b);
            }
            int o = 0;
            for (; o + 2 <= outputs; o += 2)
            {
                int* w0 = pairs + o * p, w1 = w0 + p;
                Vector256<int> a0 = default, b0 = default, a1 = default, b1 = default;
                for (int j = 0; j < p; j++)
                {
                    var lo = packed[2 * j];
                    var hi = packed[2 * j + 1];
                    var v0 = Vector256.Create(w0[j]).AsInt16();
                    var v1 = Vector256.Create(w1[j]).AsInt16();
                    a0 = Avx2.Add(a0, Avx2.MultiplyAddAdjacent(lo, v0));
                    b0 = Avx2.Add(b0, Avx2.MultiplyAddAdjacent(hi, v0));
                    a1 = Avx2.Add(a1, Avx2.MultiplyAddAdjacent(lo, v1));
                    b1 = Avx2.Add(b1, Avx2.MultiplyAddAdjacent(hi, v1));
                }
                StoreTile16(a0, b0, bias[o], requant[o], output + o * outStride + x);
                StoreTile16(a1, b1, bias[o + 1], requant[o + 1], output + (o + 1) * outStride + x);
            }
            if (o < outputs)
            {
                int* w0 = pairs + o * p;
                Vector256<int> a0 = default, b0 = default;
                for (int j = 0; j < p; j++)
                {
                    var v0 = Vector256.Create(w0[j]).AsInt16();
                    a0 = Avx2.Add(a0, Avx2.MultiplyAddAdjacent(packed[2 * j], v0));
                    b0 = Avx2.Add(b0, Avx2.MultiplyAddAdjacent(packed[2 * j + 1], v0));
                }
                StoreTile16(a0, b0, bias[o], requant[o], output + o * outStride + x);
            }
            if (x == width - 16) break;
        }
    }

    /// <summary>Sums of positions {0-3, 8-11} and {4-7, 12-15}: back in order, biased, requantized, 16 bytes stored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTile16(Vector256<int> low, Vector256<int> high, int bias, in ChannelRequant r, sbyte* destination)
    {
        var b = Vector256.Create(bias);
        var first = Requantize(Avx2.Add(Avx2.Permute2x128(low, high, 0x20), b), r);   // positions 0-7
        var second = Requantize(Avx2.Add(Avx2.Permute2x128(low, high, 0x31), b), r);  // positions 8-15
        // both in [-128, 127]: packing with saturation is exact; packs work per 128-bit lane, so
        // the 16-bit halves come out as {0-3, 8-11, 4-7, 12-15} and the permute restores the order
        var words = Avx2.Permute4x64(Avx2.PackSignedSaturate(first, second).AsInt64(), 0b11_01_10_00).AsInt16();
        var bytes = Avx2.PackSignedSaturate(words, words);
        Avx2.Permute4x64(bytes.AsInt64(), 0b11_01_10_00).AsSByte().GetLower().Store(destination);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotRows128(sbyte** rows, int count, nint width, int* pairs, int* bias, ChannelRequant* requant,
        int outputs, sbyte* output, nint outStride, int inZero, Vector128<short>* packed)
    {
        int p = (count + 1) / 2; // packed: per pair, positions 0-3, then 4-7
        var zero = Vector128.Create((short)inZero);
        for (nint x = 0; ; x += 8)
        {
            if (x > width - 8) x = width - 8;
            for (int j = 0; j < p; j++)
            {
                var a = Widen8(rows[2 * j] + x) - zero;
                var b = 2 * j + 1 < count ? Widen8(rows[2 * j + 1] + x) - zero : Vector128<short>.Zero;
                packed[2 * j] = InterleaveLow(a, b);
                packed[2 * j + 1] = InterleaveHigh(a, b);
            }
            for (int o = 0; o < outputs; o++)
            {
                int* w = pairs + o * p;
                Vector128<int> a0 = default, b0 = default;
                for (int j = 0; j < p; j++)
                {
                    var v = Vector128.Create(w[j]).AsInt16();
                    a0 += PairProducts(packed[2 * j], v);
                    b0 += PairProducts(packed[2 * j + 1], v);
                }
                var b = Vector128.Create(bias[o]);
                var first = Requantize(a0 + b, requant[o]);
                var second = Requantize(b0 + b, requant[o]);
                // in [-128, 127]: narrowing (truncating) is exact
                var words = Vector128.Narrow(first, second);
                Vector128.Narrow(words, words).AsSByte().GetLower().Store(output + o * outStride + x);
            }
            if (x == width - 8) break;
        }
    }

    /// <summary>
    /// ARM64 with SDOT (Armv8.2 dot product: Raspberry Pi 5, Jetson Orin): tiles of 16 positions; per
    /// quad of rows the raw bytes interleaved so that each 32-bit lane holds one position's four rows
    /// (two rounds of zips), then one SDOT per 4 positions and output adds the four products to the
    /// lane. The zero point is in the corrected biases (<see cref="PackWeights"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotRowsDp(sbyte** rows, int count, nint width, int* packedWeights, ChannelRequant* requant,
        int outputs, sbyte* output, nint outStride, Vector128<sbyte>* packed)
    {
        int q = (count + 3) / 4;
        int* corrected = packedWeights + outputs * q;
        for (nint x = 0; ; x += 16)
        {
            if (x > width - 16) x = width - 16; // the last tile overlaps the one before
            for (int j = 0; j < q; j++)
            {
                var r0 = Vector128.Load(rows[4 * j] + x);
                var r1 = 4 * j + 1 < count ? Vector128.Load(rows[4 * j + 1] + x) : Vector128<sbyte>.Zero;
                var r2 = 4 * j + 2 < count ? Vector128.Load(rows[4 * j + 2] + x) : Vector128<sbyte>.Zero;
                var r3 = 4 * j + 3 < count ? Vector128.Load(rows[4 * j + 3] + x) : Vector128<sbyte>.Zero;
                var a = AdvSimd.Arm64.ZipLow(r0, r1).AsInt16();  // positions 0-7: (r0, r1) byte pairs
                var b = AdvSimd.Arm64.ZipHigh(r0, r1).AsInt16(); // positions 8-15
                var c = AdvSimd.Arm64.ZipLow(r2, r3).AsInt16();
                var d = AdvSimd.Arm64.ZipHigh(r2, r3).AsInt16();
                packed[4 * j] = AdvSimd.Arm64.ZipLow(a, c).AsSByte();      // positions 0-3, each (r0, r1, r2, r3)
                packed[4 * j + 1] = AdvSimd.Arm64.ZipHigh(a, c).AsSByte(); // 4-7
                packed[4 * j + 2] = AdvSimd.Arm64.ZipLow(b, d).AsSByte();  // 8-11
                packed[4 * j + 3] = AdvSimd.Arm64.ZipHigh(b, d).AsSByte(); // 12-15
            }
            for (int o = 0; o < outputs; o++)
            {
                int* w = packedWeights + o * q;
                var bias = Vector128.Create(corrected[o]);
                Vector128<int> s0 = bias, s1 = bias, s2 = bias, s3 = bias;
                for (int j = 0; j < q; j++)
                {
                    var v = Vector128.Create(w[j]).AsSByte();
                    s0 = Dp.DotProduct(s0, packed[4 * j], v);
                    s1 = Dp.DotProduct(s1, packed[4 * j + 1], v);
                    s2 = Dp.DotProduct(s2, packed[4 * j + 2], v);
                    s3 = Dp.DotProduct(s3, packed[4 * j + 3], v);
                }
                // in [-128, 127] after requantization: narrowing is exact
                var low = Vector128.Narrow(Requantize(s0, requant[o]), Requantize(s1, requant[o]));
                var high = Vector128.Narrow(Requantize(s2, requant[o]), Requantize(s3, requant[o]));
                Vector128.Narrow(low, high).AsSByte().Store(output + o * outStride + x);
            }
            if (x == width - 16) break;
        }
    }

    /// <summary>8 int8 values sign-extended to int16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<short> Widen8(sbyte* source) =>
        Sse41.IsSupported ? Sse41.ConvertToVector128Int16(source) : AdvSimd.SignExtendWideningLower(Vector64.Load(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<short> InterleaveLow(Vector128<short> a, Vector128<short> b) =>
        Sse2.IsSupported ? Sse2.UnpackLow(a, b) : AdvSimd.Arm64.ZipLow(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<short> InterleaveHigh(Vector128<short> a, Vector128<short> b) =>
        Sse2.IsSupported ? Sse2.UnpackHigh(a, b) : AdvSimd.Arm64.ZipHigh(a, b);

    /// <summary>pmaddwd: lane i = a[2i] * w[2i] + a[2i + 1] * w[2i + 1] in int32 (ARM64: smull, smull2, addp).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> PairProducts(Vector128<short> a, Vector128<short> w)
    {
        if (Sse2.IsSupported) return Sse2.MultiplyAddAdjacent(a, w);
        var low = AdvSimd.MultiplyWideningLower(a.GetLower(), w.GetLower());
        var high = AdvSimd.MultiplyWideningUpper(a, w);
        return AdvSimd.Arm64.AddPairwise(low, high);
    }
}
