using System;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MicroNet.Aot.Runtime;
using Xunit;
using Ref = MicroNet.Aot.Runtime.Reference;

namespace MicroNet.Aot.Tests;

/// <summary>
/// The int8 kernels (Runtime/Int8) against their definitions, bit for bit, no tolerance: the conv
/// against Reference.Int8.Conv over 1x1, k x 1 and 1 x k shapes (widths around the tile sizes 8 and
/// 16, both strides, borders, groups, zero points at the ends of the range, multipliers above and
/// below 1), the vector requantization against the scalar one, the input quantization, the sums,
/// the Shift-Max mixes and the classifier's dot products against their scalar formulas. Part of
/// KernelTests: test.sh runs them at every SIMD level and Arm64Tests under qemu (AdvSimd).
/// </summary>
public unsafe partial class KernelTests
{
    private static sbyte[] RandomBytes(int n, Random r)
    {
        var a = new sbyte[n];
        for (int i = 0; i < n; i++) a[i] = (sbyte)r.Next(-128, 128);
        return a;
    }

    /// <summary>Runs the fast conv and the reference on the same random layer and compares every byte.</summary>
    private static void CheckConv(int inPerGroup, int outPerGroup, int groups, int inH, int inW, int kH, int kW, int sH, int sW, int pH, int pW, int seed, bool bigMultipliers)
    {
        var r = new Random(seed);
        int outH = (inH + 2 * pH - kH) / sH + 1, outW = (inW + 2 * pW - kW) / sW + 1;
        int inChannels = inPerGroup * groups, outChannels = outPerGroup * groups;
        // the input has one spare plane, and the layer reads its planes in a shuffled order
        var input = RandomBytes((inChannels + 1) * inH * inW, r);
        var planes = new int[inChannels];
        for (int i = 0; i < inChannels; i++) planes[i] = i + 1;
        for (int i = inChannels - 1; i > 0; i--) { int j = r.Next(i + 1); (planes[i], planes[j]) = (planes[j], planes[i]); }
        var weights = RandomBytes(outChannels * inPerGroup * kH * kW, r);
        for (int i = 0; i < weights.Length; i++) if (weights[i] == -128) weights[i] = -127; // the scheme's symmetric range
        var bias = new int[outChannels];
        var multipliers = new int[outChannels];
        var shifts = new int[outChannels];
        for (int o = 0; o < outChannels; o++)
        {
            bias[o] = r.Next(-20000, 20000);
            double m = bigMultipliers && o % 2 == 0 ? 1.0 + r.NextDouble() * 30 : Math.Pow(2, -1 - r.NextDouble() * 14);
            Requantization.QuantizeMultiplier(m, out multipliers[o], out shifts[o]);
        }
        int inZero = seed % 3 == 0 ? -128 : seed % 3 == 1 ? 127 : r.Next(-128, 128), outZero = r.Next(-128, 128);
        var shape = new Int8.ConvShape(inH, inW, outChannels, outH, outW, inPerGroup, outPerGroup, kH, kW, sH, sW, pH, pW);
        var expected = new sbyte[outChannels * outH * outW];
        var actual = new sbyte[expected.Length];
        fixed (sbyte* x = input, w = weights, e = expected, a = actual)
        fixed (int* p = planes, b = bias, q = multipliers, s = shifts)
        {
            Ref.Int8.Conv(x, p, e, shape, w, b, q, s, inZero, outZero);
            Int8.Conv(x, p, a, shape, w, b, q, s, inZero, outZero);
        }
        for (int i = 0; i < expected.Length; i++)
            Assert.True(expected[i] == actual[i], $"conv {kH}x{kW} stride {sH},{sW} pad {pH},{pW} in {inPerGroup}x{groups} out {outPerGroup} on {inH}x{inW}: " +
                $"output {i} (channel {i / (outH * outW)}, row {i % (outH * outW) / outW}, column {i % outW}) is {actual[i]}, expected {expected[i]}");
    }

    [Theory]
    [CombinatorialData]
    public void Int8_pointwise_conv_equals_the_reference(
        [CombinatorialValues(1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 49, 196)] int plane,
        [CombinatorialValues(1, 2, 3, 8, 13)] int inPerGroup,
        [CombinatorialValues(1, 2, 3, 6)] int outPerGroup,
        bool bigMultipliers) =>
        CheckConv(inPerGroup, outPerGroup, 2, 1, plane, 1, 1, 1, 1, 0, 0, plane * 31 + inPerGroup * 7 + outPerGroup, bigMultipliers);

    [Theory]
    [CombinatorialData]
    public void Int8_kx1_conv_equals_the_reference(
        [CombinatorialValues(1, 2, 5, 7, 14, 28)] int height,
        [CombinatorialValues(1, 7, 8, 9, 16, 17, 32, 33, 65)] int width,
        [CombinatorialValues(3, 5)] int k,
        [CombinatorialValues(1, 2)] int stride,
        [CombinatorialValues(1, 3)] int inPerGroup) =>
        CheckConv(inPerGroup, inPerGroup == 1 ? 1 : 2, 3, height, width, k, 1, stride, 1, k / 2, 0, height * 131 + width * 17 + k * 5 + stride, false);

    [Theory]
    [CombinatorialData]
    public void Int8_1xk_conv_equals_the_reference(
        [CombinatorialValues(1, 3, 14)] int height,
        [CombinatorialValues(1, 2, 5, 7, 8, 9, 14, 16, 17, 28, 33, 112)] int width,
        [CombinatorialValues(3, 5)] int k,
        [CombinatorialValues(1, 2)] int stride,
        [CombinatorialValues(1, 3)] int inPerGroup) =>
        CheckConv(inPerGroup, inPerGroup == 1 ? 1 : 2, 3, height, width, 1, k, 1, stride, 0, k / 2, height * 131 + width * 17 + k * 5 + stride + 7, true);

    [Fact]
    public void Int8_dense_stem_conv_at_224_equals_the_reference() =>
        CheckConv(3, 2, 1, 224, 224, 3, 1, 2, 1, 1, 0, 5, false); // M0's first conv: 3x1 stride 2,1 over RGB

    [Fact]
    public void Int8_vector_requantization_equals_the_scalar_one()
    {
        var r = new Random(11);
        var accumulators = new int[4096];
        for (int i = 0; i < accumulators.Length; i++)
            accumulators[i] = i < 16 ? new[] { 0, 1, -1, int.MaxValue, int.MinValue, 1 << 20, -(1 << 20), 12345, -12345, 7, -7, 8, -8, 1 << 30, -(1 << 30), 3 }[i]
                : r.Next(-3, 4) == 0 ? r.Next(int.MinValue, int.MaxValue) : r.Next(-200000, 200000);
        int checkedLanes = 0;
        for (int trial = 0; trial < 64; trial++)
        {
            double m = trial % 4 == 0 ? 1.0 + r.NextDouble() * 1000 : Math.Pow(2, -r.NextDouble() * 30);
            Requantization.QuantizeMultiplier(m, out int q, out int shift);
            int zero = r.Next(-128, 128), min = trial % 3 == 0 ? zero : -128, max = trial % 3 == 0 ? Math.Min(127, zero + 20) : 127;
            var requant = new Int8.ChannelRequant(q, shift, zero, min, max);
            for (int i = 0; i + 8 <= accumulators.Length; i += 8)
            {
                if (Avx2.IsSupported)
                {
                    var v = Int8.Requantize(Vector256.Create(accumulators, i), requant);
                    for (int lane = 0; lane < 8; lane++, checkedLanes++)
                        Assert.True((sbyte)v[lane] == Requantization.Requantize(accumulators[i + lane], q, shift, zero, min, max),
                            $"AVX2 lane {lane}: requantize({accumulators[i + lane]}, {q}, {shift}) gave {v[lane]}");
                }
                if (Int8.Int8Avx512 && i + 16 <= accumulators.Length)
                {
                    var v = Int8.Requantize(Vector512.Create(accumulators, i), requant);
                    for (int lane = 0; lane < 16; lane++, checkedLanes++)
                        Assert.True((sbyte)v[lane] == Requantization.Requantize(accumulators[i + lane], q, shift, zero, min, max),
                            $"AVX-512 lane {lane}: requantize({accumulators[i + lane]}, {q}, {shift}) gave {v[lane]}");
                }
                if (Int8.Requantize128Supported)
                {
                    var v = Int8.Requantize(Vector128.Create(accumulators, i), requant);
                    for (int lane = 0; lane < 4; lane++, checkedLanes++)
                        Assert.True((sbyte)v[lane] == Requantization.Requantize(accumulators[i + lane], q, shift, zero, min, max),
                            $"128-bit lane {lane}: requantize({accumulators[i + lane]}, {q}, {shift}) gave {v[lane]}");
                }
                Assert.True(requant.Scalar(accumulators[i]) == Requantization.Requantize(accumulators[i], q, shift, zero, min, max));
            }
        }
        Assert.True(checkedLanes > 0 || !Vector128.IsHardwareAccelerated, "no vector lane was checked on a machine with vectors");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(1000)]
    public void Int8_input_quantization_equals_QuantizeValue(int count)
    {
        var r = new Random(count);
        var x = new float[count];
        float inverse = 1 / 0.0173f;
        for (int i = 0; i < count; i++)
            x[i] = (i % 7) switch
            {
                0 => (r.Next(-300, 300) + 0.5f) / inverse, // ties, some beyond the range
                1 => float.NaN,
                2 => i % 2 == 0 ? float.PositiveInfinity : float.NegativeInfinity,
                3 => -0f,
                _ => (float)(r.NextDouble() * 6 - 3),
            };
        foreach (int zero in new[] { -128, -3, 0, 127 })
        {
            var actual = new sbyte[count];
            fixed (float* px = x) fixed (sbyte* py = actual) Int8.QuantizeInput(px, py, count, inverse, zero);
            for (int i = 0; i < count; i++)
                Assert.True(actual[i] == Int8.QuantizeValue(x[i], inverse, zero), $"quantize({x[i]}) with zero {zero}: {actual[i]}, expected {Int8.QuantizeValue(x[i], inverse, zero)}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(49)]
    [InlineData(12544)]
    public void Int8_sums_and_dot_products_are_exact(int n)
    {
        var r = new Random(n);
        var x = RandomBytes(n, r);
        var w = RandomBytes(n, r);
        var h = new short[n];
        for (int i = 0; i < n; i++) h[i] = (short)r.Next(-255, 256);
        fixed (sbyte* px = x, pw = w)
        fixed (short* ph = h)
        {
            foreach (var (lo, hi) in new[] { ((sbyte)-128, (sbyte)127), ((sbyte)-5, (sbyte)40), ((sbyte)100, (sbyte)127) })
            {
                long expected = 0;
                for (int i = 0; i < n; i++) expected += Math.Clamp(x[i], lo, hi);
                Assert.Equal(expected, (long)Int8.SumClamped(px, n, lo, hi));
            }
            long dot = 0;
            for (int i = 0; i < n; i++) dot += w[i] * h[i];
            Assert.Equal(dot, (long)Int8.Dot(pw, ph, n));
            foreach (int zero in new[] { -128, 5, 127 })
            {
                long raw = 0;
                for (int i = 0; i < n; i++) raw += w[i] * (x[i] - zero);
                Assert.Equal(raw, (long)Int8.DotRaw(pw, px, n, zero));
            }
        }
    }

    [Theory]
    [CombinatorialData]
    public void Int8_shift_max_mixes_equal_their_formula(
        [CombinatorialValues(1, 7, 8, 9, 16, 17, 49, 784)] int plane,
        [CombinatorialValues(2, 4)] int coefficients)
    {
        var r = new Random(plane * 3 + coefficients);
        int c = 6, sq = 4, inZero = r.Next(-128, 128), outZero = r.Next(-128, 128);
        var input = RandomBytes(c * plane, r);
        var own = new int[c];
        var partner = new int[c];
        for (int i = 0; i < c; i++) { own[i] = i; partner[i] = (i + 2) % c; }
        var fc0 = RandomBytes(sq * c, r);
        var fc2 = RandomBytes(coefficients * c * sq, r);
        var fc0Scales = new float[sq]; var fc0Bias = new float[sq];
        var fc2Scales = new float[coefficients * c]; var fc2Bias = new float[coefficients * c];
        for (int i = 0; i < sq; i++) { fc0Scales[i] = 0.01f; fc0Bias[i] = (float)r.NextDouble(); }
        for (int i = 0; i < fc2Scales.Length; i++) { fc2Scales[i] = 0.02f; fc2Bias[i] = (float)r.NextDouble() - 0.5f; }
        Requantization.QuantizeMultiplier(0.7 / 8192, out int q, out int shift);
        var p = new Int8.ShiftMaxParams(c, plane, sq, coefficients, 13, 0.02f / plane, 4f, 1f, 0f, 0f, 0f, inZero, q, shift, outZero);
        var output = new sbyte[c * plane];
        var scratch = new float[c + sq + coefficients * c];
        var coeffs = new int[coefficients * c];
        fixed (sbyte* x = input, y = output, w0 = fc0, w2 = fc2)
        fixed (int* po = own, pp = partner, pc = coeffs)
        fixed (float* s0 = fc0Scales, b0 = fc0Bias, s2 = fc2Scales, b2 = fc2Bias, ps = scratch)
            Int8.ShiftMax(x, po, pp, y, p, w0, s0, b0, w2, s2, b2, ps, pc);
        for (int ch = 0; ch < c; ch++)
        {
            long sum = 0;
            for (int i = 0; i < plane; i++) sum += input[ch * plane + i] - inZero;
            Assert.Equal((float)sum * p.MeanScale, scratch[ch]); // the exact integer sum behind the mean
            for (int i = 0; i < plane; i++)
            {
                int d = input[ch * plane + i] - inZero, e = input[partner[ch] * plane + i] - inZero;
                int m = coeffs[ch] * d + coeffs[c + ch] * e;
                if (coefficients == 4) m = Math.Max(m, coeffs[2 * c + ch] * d + coeffs[3 * c + ch] * e);
                Assert.True(output[ch * plane + i] == Requantization.Requantize(m, q, shift, outZero), $"channel {ch}, position {i}");
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(49)]
    [InlineData(784)]
    public void Int8_residual_add_equals_its_formula(int plane)
    {
        var r = new Random(plane);
        int c = 3;
        var a = RandomBytes(c * plane, r);
        var b = RandomBytes(c * plane, r);
        var planes = new[] { 2, 0, 1 };
        foreach (var (sa, sb, so) in new[] { (0.02, 0.05, 0.04), (0.3, 0.01, 0.2), (0.001, 0.002, 0.0005) })
        {
            // TFLite's add: both inputs to 2^-20 of twice the larger scale, the sum to the output's
            double twice = 2 * Math.Max(sa, sb);
            Requantization.QuantizeMultiplier(sa / twice, out int ma, out int ea);
            Requantization.QuantizeMultiplier(sb / twice, out int mb, out int eb);
            Requantization.QuantizeMultiplier(twice / ((1 << 20) * so), out int mo, out int eo);
            var p = new Int8.AddParams(r.Next(-128, 128), ma, ea, r.Next(-128, 128), mb, eb, mo, eo, r.Next(-128, 128));
            var output = new sbyte[c * plane];
            fixed (sbyte* pa = a, pb = b, py = output)
            fixed (int* pp = planes)
                Int8.Add(pa, pp, pb, pp, py, c, plane, p);
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < plane; i++)
                {
                    int x = Requantization.MultiplyByQuantizedMultiplier((a[planes[ch] * plane + i] - p.AZero) << 20, ma, ea);
                    int y = Requantization.MultiplyByQuantizedMultiplier((b[planes[ch] * plane + i] - p.BZero) << 20, mb, eb);
                    Assert.True(output[ch * plane + i] == Requantization.Requantize(x + y, mo, eo, p.OutZero), $"add: channel {ch}, position {i}");
                }
        }
    }
}
