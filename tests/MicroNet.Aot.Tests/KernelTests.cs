using System;
using System.Linq;
using MicroNet.Aot.Runtime;
using Xunit;
using Ref = MicroNet.Aot.Runtime.Reference;

namespace MicroNet.Aot.Tests;

/// <summary>
/// The Runtime's SIMD kernels against the reference kernels (Runtime/Reference/: the readable
/// oracle, called with the same arguments), over many small shapes: widths around the vector
/// sizes, both strides, odd sizes, borders, fused ReLU6. test.sh runs them at every SIMD level
/// (AVX-512, AVX2, Vector128 only, scalar).
/// </summary>
public unsafe partial class KernelTests
{
    private static float[] Random(int n, int seed)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 4 - 2);
        return a;
    }

    private static void Close(float expected, float actual, string where) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-5f * Math.Max(1f, Math.Abs(expected)), $"{where}: expected {expected}, got {actual}");

    /// <summary>The first <paramref name="count"/> values agree with the reference's to 1e-5 relative.</summary>
    private static void AllClose(float[] expected, float[] actual, int count, string what)
    {
        for (int i = 0; i < count; i++) Close(expected[i], actual[i], what + " element " + i);
    }

    [Theory]
    [CombinatorialData]
    public void Row_matches_the_naive_1xk_convolution(
        [CombinatorialValues(1, 3, 7, 8, 9, 14, 16, 17, 28)] int width,
        [CombinatorialValues(3, 5)] int k,
        [CombinatorialValues(1, 2)] int stride,
        [CombinatorialValues(1, 3)] int height,
        bool relu6)
    {
        int pad = k / 2, outWidth = (width + 2 * pad - k) / stride + 1;
        var input = Random(height * width, width * 31 + k);
        var taps = Random(k, 7);
        var output = new float[height * outWidth];
        fixed (float* t = taps)
            Depthwise.Row(ref input[0], ref output[0], t, 0.25f, k, pad, stride, height, width, outWidth, relu6);
        var expected = new float[height * outWidth];
        float bias = 0.25f;
        fixed (float* t = taps)
            Ref.Depthwise.Rows(ref input[0], new[] { 0 }, height * width, ref expected[0], height * outWidth, t, &bias, k, pad, stride, height, width, outWidth, relu6);
        AllClose(expected, output, expected.Length, "1 x k");
    }

    [Theory]
    [CombinatorialData]
    public void Column_matches_the_naive_kx1_convolution(
        [CombinatorialValues(1, 3, 7, 8, 13, 16)] int height,
        [CombinatorialValues(1, 4, 7, 9, 14)] int width,
        [CombinatorialValues(3, 5)] int k,
        [CombinatorialValues(1, 2)] int stride,
        bool accumulate)
    {
        int pad = k / 2, outHeight = (height + 2 * pad - k) / stride + 1;
        var input = Random(height * width, height * 17 + width);
        var taps = Random(k, 3);
        var start = Random(outHeight * width, 5);
        var output = (float[])start.Clone();
        fixed (float* t = taps)
            Depthwise.Column(ref input[0], ref output[0], t, -0.5f, k, pad, stride, height, outHeight, width, accumulate);
        // the reference's k x 1 with bias -0.5, or with bias 0 added to what the output held (accumulate: bias ignored)
        var expected = new float[outHeight * width];
        float bias = accumulate ? 0f : -0.5f;
        fixed (float* t = taps)
            Ref.Depthwise.Columns(ref input[0], new[] { 0 }, height * width, ref expected[0], outHeight * width, t, &bias, k, pad, stride, height, outHeight, width);
        if (accumulate) for (int i = 0; i < expected.Length; i++) expected[i] += start[i];
        AllClose(expected, output, expected.Length, "k x 1");
    }

    /// <summary>The layer-level depthwise kernels: a permuted plane table, a channel multiplier of 2, both orientations and strides.</summary>
    [Theory]
    [CombinatorialData]
    public void Depthwise_layers_match_the_naive_convolutions(
        [CombinatorialValues(1, 4, 7, 13, 14, 15, 25, 28, 70)] int size,
        [CombinatorialValues(3, 5)] int k,
        [CombinatorialValues(1, 2)] int stride,
        bool columns)
    {
        int pad = k / 2, channels = 6, inputs = 3, height = size, width = size + 3;
        int outHeight = columns ? (height + 2 * pad - k) / stride + 1 : height;
        int outWidth = columns ? width : (width + 2 * pad - k) / stride + 1;
        var planes = new int[channels];
        for (int c = 0; c < channels; c++) planes[c] = (inputs - 1 - c / 2 + 1) % inputs; // output c reads input plane (3 - c/2) mod 3
        var input = Random(inputs * height * width, size * 7 + k);
        var weights = Random(channels * k, 19);
        var bias = Random(channels, 23);
        // 8 sentinels after the layer's output: no write may land past its last plane
        var output = new float[channels * outHeight * outWidth + 8];
        output.AsSpan(channels * outHeight * outWidth).Fill(-1234.5f);
        var expected = new float[channels * outHeight * outWidth];
        fixed (float* w = weights) fixed (float* b = bias)
        {
            if (columns)
            {
                Depthwise.Columns(ref input[0], planes, height * width, ref output[0], outHeight * outWidth, w, b, k, pad, stride, height, outHeight, width);
                Ref.Depthwise.Columns(ref input[0], planes, height * width, ref expected[0], outHeight * outWidth, w, b, k, pad, stride, height, outHeight, width);
            }
            else
            {
                Depthwise.Rows(ref input[0], planes, height * width, ref output[0], outHeight * outWidth, w, b, k, pad, stride, height, width, outWidth, relu6: stride == 1);
                Ref.Depthwise.Rows(ref input[0], planes, height * width, ref expected[0], outHeight * outWidth, w, b, k, pad, stride, height, width, outWidth, relu6: stride == 1);
            }
        }
        AllClose(expected, output, expected.Length, columns ? "k x 1 layer" : "1 x k layer");
        for (int i = channels * outHeight * outWidth; i < output.Length; i++) Assert.Equal(-1234.5f, output[i]);
        // outputs that share an input plane (computed together where a kernel pairs them) are bit
        // for bit the same output computed alone
        int outN = outHeight * outWidth;
        for (int c = 0; c < channels; c++)
        {
            var alone = new float[outN];
            fixed (float* w = &weights[c * k]) fixed (float* b = &bias[c])
            {
                if (columns) Depthwise.Columns(ref input[0], new[] { planes[c] }, height * width, ref alone[0], outN, w, b, k, pad, stride, height, outHeight, width);
                else Depthwise.Rows(ref input[0], new[] { planes[c] }, height * width, ref alone[0], outN, w, b, k, pad, stride, height, width, outWidth, relu6: stride == 1);
            }
            for (int i = 0; i < outN; i++)
                Assert.True(BitConverter.SingleToInt32Bits(alone[i]) == BitConverter.SingleToInt32Bits(output[c * outN + i]), $"c={c} i={i}: alone {alone[i]}, in the layer {output[c * outN + i]}");
        }
    }

    /// <summary>
    /// The fused depthwise pair (k x 1, then 1 x k over its output) against the two convolutions
    /// done naively one after the other: a permuted plane table with a channel multiplier of 2 on
    /// the k x 1 conv, rows narrower than a vector, planes past the fused size (the fallback), and
    /// nothing written past the last output plane; with 19 channels on rows of 7 or 8 floats, two
    /// blocks of eight through the channel-blocked path and three through the plane-by-plane one;
    /// rows of 10-16 floats (the 1 x k row by row as two vectors with constant edge masks); and bit
    /// for bit what the two unfused layer kernels give.
    /// </summary>
    [Theory]
    [CombinatorialData]
    public void DepthwisePair_matches_the_two_naive_convolutions(
        [CombinatorialValues(2, 3, 6, 7, 9, 13, 14, 15, 40)] int size,
        [CombinatorialValues(3, 5)] int columnK,
        [CombinatorialValues(3, 5)] int rowK,
        [CombinatorialValues(6, 19)] int middles,
        bool relu6)
    {
        int inputs = 3, height = size, width = size + 1, n = height * width;
        int columnPad = columnK / 2, rowPad = rowK / 2;
        var planes = new int[middles];
        for (int m = 0; m < middles; m++) planes[m] = (inputs * middles - m / 2) % inputs; // 0, 0, 2, 2, 1, 1, 0, ...
        var input = Random(inputs * n, size + columnK);
        var columnWeights = Random(middles * columnK, 29);
        var columnBias = Random(middles, 31);
        var rowWeights = Random(middles * rowK, 37);
        var rowBias = Random(middles, 41);
        var output = new float[middles * n + 8];
        output.AsSpan(middles * n).Fill(-1234.5f);
        var expected = new float[middles * n];
        fixed (float* cw = columnWeights) fixed (float* cb = columnBias) fixed (float* rw = rowWeights) fixed (float* rb = rowBias)
        {
            Depthwise.Pair(ref input[0], planes, n, ref output[0], n, cw, cb, columnK, columnPad, rw, rb, rowK, rowPad, height, width, relu6);
            Ref.Depthwise.Pair(ref input[0], planes, n, ref expected[0], n, cw, cb, columnK, columnPad, rw, rb, rowK, rowPad, height, width, relu6);
        }
        AllClose(expected, output, expected.Length, "pair");
        for (int i = middles * n; i < output.Length; i++) Assert.Equal(-1234.5f, output[i]);
        // the unfused layers: the intermediate tensor in memory, then the 1 x k layer over it
        var unfusedMiddle = new float[middles * n];
        var unfused = new float[middles * n];
        var identity = new int[middles];
        for (int m = 0; m < middles; m++) identity[m] = m;
        fixed (float* cw = columnWeights) fixed (float* cb = columnBias) fixed (float* rw = rowWeights) fixed (float* rb = rowBias)
        {
            Depthwise.Columns(ref input[0], planes, n, ref unfusedMiddle[0], n, cw, cb, columnK, columnPad, 1, height, height, width);
            Depthwise.Rows(ref unfusedMiddle[0], identity, n, ref unfused[0], n, rw, rb, rowK, rowPad, 1, height, width, width, relu6);
        }
        for (int i = 0; i < unfused.Length; i++) Assert.True(BitConverter.SingleToInt32Bits(unfused[i]) == BitConverter.SingleToInt32Bits(output[i]), $"element {i}: unfused {unfused[i]}, fused {output[i]}");
    }

    /// <summary>
    /// The fused stride-2 pair (k x 1 stride 2 along H, depthwise or the stem's dense conv over
    /// three planes, then a depthwise 1 x k stride 2 along W over its output) against the two
    /// convolutions done naively one after the other: a permuted plane table with a channel
    /// multiplier of 2 on the depthwise k x 1 conv and of 1 or 2 on the 1 x k conv, odd and even
    /// heights (the last intermediate row's taps leave the input), widths at and past the split
    /// kernels' 16 (with an overlapping last block) and below it or odd (the portable path),
    /// nothing written past the last output plane; with 19 channels, two blocks of eight through
    /// the channel-blocked path where it applies (depthwise, rows of at most 16 floats); and bit
    /// for bit what the two unfused layer kernels give.
    /// </summary>
    [Theory]
    [CombinatorialData]
    public void PairStride2_matches_the_two_naive_convolutions(
        [CombinatorialValues(1, 2, 5, 8, 9, 14)] int height,
        [CombinatorialValues(7, 8, 12, 14, 16, 18, 28, 30, 56)] int width,
        [CombinatorialValues(3, 5)] int columnK,
        [CombinatorialValues(3, 5)] int rowK,
        [CombinatorialValues(1, 2)] int rowMultiplier,
        [CombinatorialValues(1, 3)] int columnInputs,
        [CombinatorialValues(6, 19)] int middles,
        bool relu6)
    {
        int inputs = 3, outputs = middles * rowMultiplier, n = height * width;
        int columnPad = columnK / 2, rowPad = rowK / 2;
        int midHeight = (height + 2 * columnPad - columnK) / 2 + 1, outWidth = (width + 2 * rowPad - rowK) / 2 + 1;
        // depthwise: middle m reads input plane (3 - m/2) mod 3; dense: every middle reads the three planes in the order 2, 0, 1
        int[] rgb = { 2, 0, 1 };
        var planes = new int[middles * columnInputs];
        for (int m = 0; m < middles; m++)
            for (int g = 0; g < columnInputs; g++) planes[m * columnInputs + g] = columnInputs == 1 ? (inputs * middles - m / 2) % inputs : rgb[g];
        var input = Random(inputs * n, height * 3 + width + columnK);
        var columnWeights = Random(middles * columnInputs * columnK, 43);
        var columnBias = Random(middles, 47);
        var rowWeights = Random(outputs * rowK, 53);
        var rowBias = Random(outputs, 59);
        int outN = midHeight * outWidth;
        var output = new float[outputs * outN + 8];
        output.AsSpan(outputs * outN).Fill(-1234.5f);
        var expected = new float[outputs * outN];
        fixed (float* cw = columnWeights) fixed (float* cb = columnBias) fixed (float* rw = rowWeights) fixed (float* rb = rowBias)
        {
            Depthwise.PairStride2(ref input[0], planes, columnInputs, n, ref output[0], outN, cw, cb, columnK, columnPad, rw, rb, rowK, rowPad, rowMultiplier, height, width, relu6);
            Ref.Depthwise.PairStride2(ref input[0], planes, columnInputs, n, ref expected[0], outN, cw, cb, columnK, columnPad, rw, rb, rowK, rowPad, rowMultiplier, height, width, relu6);
        }
        AllClose(expected, output, expected.Length, "stride-2 pair");
        for (int i = outputs * outN; i < output.Length; i++) Assert.Equal(-1234.5f, output[i]);
        // the unfused layers: the intermediate tensor in memory, then the 1 x k layer over it
        var unfusedMiddle = new float[middles * midHeight * width];
        var unfused = new float[outputs * outN];
        var middlePlanes = new int[outputs];
        for (int o = 0; o < outputs; o++) middlePlanes[o] = o / rowMultiplier;
        fixed (float* cw = columnWeights) fixed (float* cb = columnBias) fixed (float* rw = rowWeights) fixed (float* rb = rowBias)
        {
            if (columnInputs == 1)
                Depthwise.Columns(ref input[0], planes, n, ref unfusedMiddle[0], midHeight * width, cw, cb, columnK, columnPad, 2, height, midHeight, width);
            else
                Depthwise.ColumnGroup(ref input[0], rgb, n, ref unfusedMiddle[0], midHeight * width, cw, cb, middles, columnK, columnPad, 2, height, midHeight, width);
            Depthwise.Rows(ref unfusedMiddle[0], middlePlanes, midHeight * width, ref unfused[0], outN, rw, rb, rowK, rowPad, 2, midHeight, width, outWidth, relu6);
        }
        for (int i = 0; i < unfused.Length; i++) Assert.True(BitConverter.SingleToInt32Bits(unfused[i]) == BitConverter.SingleToInt32Bits(output[i]), $"element {i}: unfused {unfused[i]}, fused {output[i]}");
    }

    /// <summary>The stem's dense k x 1 conv: every output reads every input plane of its group (permuted), blocked by four outputs.</summary>
    [Theory]
    [CombinatorialData]
    public void ColumnGroup_matches_the_naive_dense_kx1_convolution(
        [CombinatorialValues(1, 2, 3, 4, 6, 7)] int outputs,
        [CombinatorialValues(7, 24, 30, 56)] int width,
        [CombinatorialValues(5, 16)] int height,
        [CombinatorialValues(1, 2)] int stride)
    {
        const int inputs = 3, k = 3, pad = 1;
        int outHeight = (height + 2 * pad - k) / stride + 1;
        int[] planes = { 2, 0, 1 };
        var input = Random(inputs * height * width, width + height);
        var weights = Random(outputs * inputs * k, outputs);
        var bias = Random(outputs, 29);
        var output = new float[outputs * outHeight * width];
        var expected = new float[outputs * outHeight * width];
        fixed (float* w = weights) fixed (float* b = bias)
        {
            Depthwise.ColumnGroup(ref input[0], planes, height * width, ref output[0], outHeight * width, w, b, outputs, k, pad, stride, height, outHeight, width);
            Ref.Depthwise.ColumnGroup(ref input[0], planes, height * width, ref expected[0], outHeight * width, w, b, outputs, k, pad, stride, height, outHeight, width);
        }
        AllClose(expected, output, expected.Length, "grouped k x 1");
    }

    /// <summary>
    /// Sum follows its documented order exactly (bit for bit), whatever vector width runs it: the
    /// channel means of x64 and ARM64 must not drift apart.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(23)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(49)]
    [InlineData(63)]
    [InlineData(196)]
    [InlineData(3136)]
    [InlineData(12545)]
    public void Sum_follows_the_canonical_order_bit_for_bit(int n)
    {
        var x = Random(n, n);
        var p = new float[32];
        int i = 0;
        for (; i < n - n % 8; i++) p[i % 32] += x[i];
        for (int j = 0; j < 16; j++) p[j] += p[j + 16];
        for (int j = 0; j < 8; j++) p[j] += p[j + 8];
        for (int j = 0; j < 4; j++) p[j] += p[j + 4];
        float expected = (p[0] + p[2]) + (p[1] + p[3]);
        for (; i < n; i++) expected += x[i];
        Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(Elementwise.Sum(ref x[0], n)));
    }

    /// <summary>
    /// SumRelu6 (the head's ReLU6 + average pool in one read) is bit for bit Sum over the clamped
    /// values, and leaves its input as it was.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(23)]
    [InlineData(32)]
    [InlineData(49)]
    [InlineData(196)]
    [InlineData(3137)]
    public void SumRelu6_is_the_sum_of_the_clamped_values_bit_for_bit(int n)
    {
        var x = Random(n, n + 7);
        for (int i = 0; i < n; i++) x[i] *= 16f; // spans below 0 and above 6
        var original = (float[])x.Clone();
        var clamped = x.Select(v => Math.Clamp(v, 0f, 6f)).ToArray();
        if (n >= 23) { Assert.Contains(0f, clamped); Assert.Contains(6f, clamped); } // both clamps exercised
        float expected = Elementwise.Sum(ref clamped[0], n);
        Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(Elementwise.SumRelu6(ref x[0], n)));
        Assert.Equal(original, x);
    }

    /// <summary>The vectorized element-wise head and Shift-Max steps give the scalar formulas' results bit for bit.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(44)]
    [InlineData(2880)]
    public void Elementwise_steps_equal_their_scalar_formulas(int n)
    {
        var x = Random(n, n + 1);
        for (int i = 0; i < n; i++) x[i] *= 5; // reach both clamps of ReLU6
        var bias = Random(n, n + 2);
        fixed (float* b = bias)
        {
            var coeff = (float[])x.Clone();
            ShiftMax.Coefficients(ref coeff[0], b, n, 1.5f);
            var squeeze = (float[])x.Clone();
            Elementwise.AddBiasRelu(ref squeeze[0], b, n);
            var head = (float[])x.Clone();
            Elementwise.AddBiasHSwish(ref head[0], b, n);
            // the reference kernels compute the same formulas lane by lane: equal bit for bit
            var refCoeff = (float[])x.Clone();
            Ref.ShiftMax.Coefficients(ref refCoeff[0], b, n, 1.5f);
            var refSqueeze = (float[])x.Clone();
            Ref.Elementwise.AddBiasRelu(ref refSqueeze[0], b, n);
            var refHead = (float[])x.Clone();
            Ref.Elementwise.AddBiasHSwish(ref refHead[0], b, n);
            Assert.Equal(refCoeff, coeff);
            Assert.Equal(refSqueeze, squeeze);
            Assert.Equal(refHead, head);
            for (int i = 0; i < n; i++) Assert.Equal(Elementwise.HSwish(x[i] + bias[i]), head[i]);
        }
    }

    /// <summary>
    /// The 1 x 3 stride-2 layer on planes past the in-place size (the stem's second conv, 112 x 224
    /// with a channel multiplier of 3) and on rows of 16-30 floats: every output is the FMA chain
    /// bias, tap 0, 1, 2 (tap 0 reading zero at the first column) bit for bit, nothing written past
    /// the last output plane.
    /// </summary>
    [Theory]
    [InlineData(112, 224, 3, false)]
    [InlineData(40, 64, 2, true)]
    [InlineData(5, 16, 1, true)]
    [InlineData(7, 18, 2, false)]
    [InlineData(33, 30, 3, true)]
    public void Stride2_rows_on_wide_planes_are_the_fma_chain_bit_for_bit(int height, int width, int multiplier, bool relu6)
    {
        // the kernels fuse multiply and add only where the hardware has FMA (else a multiply and an add, in the same order)
        bool fused = System.Runtime.Intrinsics.X86.Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported;
        int inputs = 2, channels = inputs * multiplier, outWidth = width / 2;
        var planes = new int[channels];
        for (int c = 0; c < channels; c++) planes[c] = inputs - 1 - c / multiplier; // outputs of plane 1 first
        var input = Random(inputs * height * width, height + width);
        var weights = Random(channels * 3, 5);
        var bias = Random(channels, 6);
        var output = new float[channels * height * outWidth + 8];
        output.AsSpan(channels * height * outWidth).Fill(-1234.5f);
        fixed (float* w = weights) fixed (float* b = bias)
            Depthwise.Rows(ref input[0], planes, height * width, ref output[0], height * outWidth, w, b, 3, 1, 2, height, width, outWidth, relu6);
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < height; y++)
                for (int x = 0; x < outWidth; x++)
                {
                    float acc = bias[c];
                    for (int t = 0; t < 3; t++)
                    {
                        int ix = 2 * x + t - 1;
                        float tap = ix >= 0 ? input[(planes[c] * height + y) * width + ix] : 0f;
                        acc = fused ? MathF.FusedMultiplyAdd(tap, weights[c * 3 + t], acc) : tap * weights[c * 3 + t] + acc;
                    }
                    if (relu6) acc = Math.Clamp(acc, 0f, 6f);
                    Assert.True(BitConverter.SingleToInt32Bits(acc) == BitConverter.SingleToInt32Bits(output[(c * height + y) * outWidth + x]),
                        $"c={c} y={y} x={x}: expected {acc}, got {output[(c * height + y) * outWidth + x]}");
                }
        for (int i = channels * height * outWidth; i < output.Length; i++) Assert.Equal(-1234.5f, output[i]);
    }

    /// <summary>Planes large enough for several staged row blocks (Row) and for the in-place interior path (Column).</summary>
    [Theory]
    [CombinatorialData]
    public void Large_planes_match_the_naive_convolutions(
        [CombinatorialValues(37, 70)] int height,
        [CombinatorialValues(64, 112, 224)] int width,
        [CombinatorialValues(3, 5)] int k,
        [CombinatorialValues(1, 2)] int stride)
    {
        int pad = k / 2;
        var input = Random(height * width, height + width + k);
        var taps = Random(k, 11);
        int outWidth = (width + 2 * pad - k) / stride + 1, outHeight = (height + 2 * pad - k) / stride + 1;
        var rowOut = new float[height * outWidth];
        var columnOut = new float[outHeight * width];
        var rowExpected = new float[height * outWidth];
        var columnExpected = new float[outHeight * width];
        float bias = 0.125f;
        fixed (float* t = taps)
        {
            Depthwise.Row(ref input[0], ref rowOut[0], t, bias, k, pad, stride, height, width, outWidth);
            Depthwise.Column(ref input[0], ref columnOut[0], t, bias, k, pad, stride, height, outHeight, width, accumulate: false);
            Ref.Depthwise.Rows(ref input[0], new[] { 0 }, height * width, ref rowExpected[0], height * outWidth, t, &bias, k, pad, stride, height, width, outWidth, relu6: false);
            Ref.Depthwise.Columns(ref input[0], new[] { 0 }, height * width, ref columnExpected[0], outHeight * width, t, &bias, k, pad, stride, height, outHeight, width);
        }
        AllClose(rowExpected, rowOut, rowExpected.Length, "1 x k");
        AllClose(columnExpected, columnOut, columnExpected.Length, "k x 1");
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(1, 6, 100)]
    [InlineData(2, 8, 784)]
    [InlineData(3, 8, 3136)]
    [InlineData(3, 5, 7)]
    [InlineData(4, 8, 16)]
    [InlineData(7, 12, 49)]
    [InlineData(9, 3, 33)]
    [InlineData(16, 24, 196)]
    [InlineData(8, 72, 49)]
    [InlineData(12, 72, 49)]
    [InlineData(15, 5, 49)]
    [InlineData(20, 7, 10)]
    [InlineData(9, 4, 63)]
    [InlineData(8, 1, 8)]
    [InlineData(6, 60, 196)]
    [InlineData(13, 48, 100)]
    [InlineData(13, 48, 200)]
    [InlineData(5, 2, 64)]
    [InlineData(10, 60, 196)]
    [InlineData(10, 3, 16)]
    [InlineData(6, 16, 784)]
    [InlineData(18, 24, 17)]
    [InlineData(15, 7, 100)]
    [InlineData(24, 4, 784)]
    [InlineData(60, 10, 49)]
    [InlineData(48, 8, 196)]
    [InlineData(40, 5, 17)]
    [InlineData(30, 9, 33)]
    public void GroupConv_matches_the_naive_1x1_convolution(int outputs, int inputs, int n)
    {
        var planes = new int[inputs];
        for (int i = 0; i < inputs; i++) planes[i] = (i * 5 + 3) % inputs; // a permuted channel map
        var input = Random(inputs * n, n);
        var weights = Random(outputs * inputs, outputs);
        var bias = Random(outputs, inputs);
        foreach (bool relu6 in new[] { false, true })
        {
            var output = new float[outputs * n];
            var expected = new float[outputs * n];
            fixed (float* w = weights) fixed (float* b = bias)
            {
                Pointwise.GroupConv(ref input[0], planes, ref output[0], w, b, outputs, n, relu6);
                Ref.Pointwise.GroupConv(ref input[0], planes, ref expected[0], w, b, outputs, n, relu6);
            }
            AllClose(expected, output, expected.Length, "relu6=" + relu6);
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(8, 8)]
    [InlineData(12, 44)]
    [InlineData(17, 3)]
    [InlineData(2880, 44)]
    [InlineData(10, 1024)]
    [InlineData(16, 864)]
    [InlineData(19, 1000)]
    [InlineData(9, 257)]
    [InlineData(8, 300)]
    public void MatVec_matches_the_naive_product(int rows, int cols)
    {
        var weights = Random(rows * cols, rows + cols);
        var input = Random(cols, cols);
        var output = new float[rows];
        var expected = new float[rows];
        fixed (float* w = weights)
        {
            Linear.MatVec(w, ref input[0], ref output[0], rows, cols);
            Ref.Linear.MatVec(w, ref input[0], ref expected[0], rows, cols);
        }
        // long dot products: the reference sums in order, the kernel in eight chains; 1e-4 of the magnitude
        for (int r = 0; r < rows; r++)
            Assert.True(Math.Abs(expected[r] - output[r]) <= 1e-4 * Math.Max(1, Math.Abs(expected[r])), $"row {r}: expected {expected[r]}, got {output[r]}");
    }

    /// <summary>The elementwise kernels over the shared width ladder equal the reference kernels bit for bit, for lengths around every vector width.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(15)]
    [InlineData(17)]
    [InlineData(49)]
    [InlineData(196)]
    public void Elementwise_and_ShiftMax_kernels_equal_the_reference_bit_for_bit(int n)
    {
        var a = Random(n, n + 11);
        var b = Random(n, n + 12);
        for (int i = 0; i < n; i++) a[i] *= 8; // past both clamps of ReLU6
        var expected = new float[n];
        var actual = new float[n];

        a.CopyTo(actual, 0); a.CopyTo(expected, 0);
        Elementwise.Relu6(ref actual[0], n); Ref.Elementwise.Relu6(ref expected[0], n);
        Assert.Equal(expected, actual);

        Elementwise.Max(ref actual[0], ref a[0], ref b[0], n); Ref.Elementwise.Max(ref expected[0], ref a[0], ref b[0], n);
        Assert.Equal(expected, actual);

        a.CopyTo(actual, 0); a.CopyTo(expected, 0);
        Elementwise.Add(ref actual[0], ref b[0], n); Ref.Elementwise.Add(ref expected[0], ref b[0], n);
        Assert.Equal(expected, actual);

        Array.Clear(actual);
        Elementwise.Copy(ref a[0], ref actual[0], n);
        Assert.Equal(a, actual);

        Assert.Equal(Ref.Elementwise.SumRelu6(ref a[0], n), Elementwise.SumRelu6(ref a[0], n), 1e-4f * n);

        // Shift-Max's mixes sum two products: the kernels may fuse one of them, so these agree to rounding
        ShiftMax.Mix(ref actual[0], ref a[0], ref b[0], 0.75f, -1.25f, n); Ref.ShiftMax.Mix(ref expected[0], ref a[0], ref b[0], 0.75f, -1.25f, n);
        AllClose(expected, actual, n, "mix");
        ShiftMax.MaxOfTwoMixes(ref actual[0], ref a[0], ref b[0], 0.75f, -1.25f, 1.5f, 0.5f, n);
        Ref.ShiftMax.MaxOfTwoMixes(ref expected[0], ref a[0], ref b[0], 0.75f, -1.25f, 1.5f, 0.5f, n);
        AllClose(expected, actual, n, "max of two mixes");
    }
}
