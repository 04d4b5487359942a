using System;

namespace MicroNet.Aot.Runtime.Reference;

/// <summary>
/// The factorized spatial convolutions of MicroNet (k x 1 along H, 1 x k along W, their fused pairs,
/// and the k x 1 over groups of several inputs), as plain loops. See Reference.cs for the padding
/// and summation rules. Same signatures as <see cref="Runtime.Depthwise"/>.
/// </summary>
/// <remarks>The tests' oracle for the optimized kernels; not a user API (hidden from IntelliSense).</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static unsafe class Depthwise
{
    /// <summary>Depthwise k x 1: output plane c = bias[c] + sum_t weights[c*k + t] * input plane planes[c] at row oy*stride + t - pad.</summary>
    public static void Columns(ref float input, ReadOnlySpan<int> inputPlanes, nint inPlane, ref float output, nint outPlane,
        float* weights, float* bias, int k, int pad, int stride, int inHeight, int outHeight, int width)
    {
        fixed (float* source = &input, destination = &output)
            for (int channel = 0; channel < inputPlanes.Length; channel++)
                ColumnPlane(source + inputPlanes[channel] * inPlane, destination + channel * outPlane, weights + channel * k, bias[channel],
                    k, pad, stride, inHeight, outHeight, width);
    }

    /// <summary>Depthwise 1 x k: output plane c = bias[c] + sum_t weights[c*k + t] * input plane planes[c] at column ox*stride + t - pad.</summary>
    public static void Rows(ref float input, ReadOnlySpan<int> inputPlanes, nint inPlane, ref float output, nint outPlane,
        float* weights, float* bias, int k, int pad, int stride, int height, int inWidth, int outWidth, bool relu6)
    {
        fixed (float* source = &input, destination = &output)
            for (int channel = 0; channel < inputPlanes.Length; channel++)
                RowPlane(source + inputPlanes[channel] * inPlane, destination + channel * outPlane, weights + channel * k, bias[channel],
                    k, pad, stride, height, inWidth, outWidth, relu6);
    }

    /// <summary>
    /// k x 1 over a group: each of the <paramref name="outputs"/> output planes reads every input
    /// plane of the group (the stem's dense conv over RGB): bias[o] + sum over input g, tap t of
    /// weights[(o * planes.Length + g) * k + t] * plane g at row oy*stride + t - pad.
    /// </summary>
    public static void ColumnGroup(ref float input, ReadOnlySpan<int> planes, nint inPlane, ref float output, nint outPlane,
        float* weights, float* bias, int outputs, int k, int pad, int stride, int inHeight, int outHeight, nint width)
    {
        fixed (float* source = &input, destination = &output)
            for (int outChannel = 0; outChannel < outputs; outChannel++)
                for (int outY = 0; outY < outHeight; outY++)
                    for (int x = 0; x < width; x++)
                    {
                        float acc = bias[outChannel];
                        for (int inChannel = 0; inChannel < planes.Length; inChannel++)
                        {
                            float* plane = source + planes[inChannel] * inPlane;
                            float* taps = weights + (outChannel * planes.Length + inChannel) * k;
                            for (int tap = 0; tap < k; tap++)
                            {
                                int inY = Rules.InputCoordinate(outY, tap, stride, pad);
                                if (Rules.Inside(inY, inHeight)) acc += taps[tap] * plane[inY * width + x];
                            }
                        }
                        destination[outChannel * outPlane + outY * width + x] = acc;
                    }
    }

    /// <summary>
    /// A stride-1 depthwise k x 1 conv, then the 1 x k conv of its output: intermediate plane m is
    /// the k x 1 conv of input plane planes[m], output plane m the 1 x k conv of intermediate plane m.
    /// </summary>
    public static void Pair(ref float input, ReadOnlySpan<int> inputPlanes, nint inPlane, ref float output, nint outPlane,
        float* columnWeights, float* columnBias, int columnK, int columnPad, float* rowWeights, float* rowBias, int rowK, int rowPad,
        int height, int width, bool relu6)
    {
        var middle = new float[height * width];
        fixed (float* source = &input, destination = &output, intermediate = middle)
            for (int channel = 0; channel < inputPlanes.Length; channel++)
            {
                ColumnPlane(source + inputPlanes[channel] * inPlane, intermediate, columnWeights + channel * columnK, columnBias[channel],
                    columnK, columnPad, 1, height, height, width);
                RowPlane(intermediate, destination + channel * outPlane, rowWeights + channel * rowK, rowBias[channel],
                    rowK, rowPad, 1, height, width, width, relu6);
            }
    }

    /// <summary>
    /// The downsampling pair: a k x 1 conv with stride 2 along H (intermediate plane m reads its
    /// <paramref name="columnInputs"/> input planes planes[m * columnInputs + g], taps
    /// columnWeights[(m * columnInputs + g) * columnK ..]), then a depthwise 1 x k conv with stride 2
    /// along W and channel multiplier <paramref name="rowMultiplier"/> (output o = m * rowMultiplier + j
    /// reads intermediate plane m).
    /// </summary>
    public static void PairStride2(ref float input, ReadOnlySpan<int> inputPlanes, int columnInputs, nint inPlane, ref float output, nint outPlane,
        float* columnWeights, float* columnBias, int columnK, int columnPad, float* rowWeights, float* rowBias, int rowK, int rowPad,
        int rowMultiplier, int inHeight, int inWidth, bool relu6)
    {
        int midHeight = (inHeight + 2 * columnPad - columnK) / 2 + 1;
        int outWidth = (inWidth + 2 * rowPad - rowK) / 2 + 1;
        int middles = inputPlanes.Length / columnInputs;
        var middle = new float[midHeight * inWidth];
        fixed (float* source = &input, destination = &output, intermediate = middle)
            for (int m = 0; m < middles; m++)
            {
                // the k x 1 stride-2 conv over the plane's inputs (one, or the stem's three)
                ColumnGroup(ref *source, inputPlanes.Slice(m * columnInputs, columnInputs), inPlane, ref *intermediate, midHeight * inWidth,
                    columnWeights + m * columnInputs * columnK, columnBias + m, 1, columnK, columnPad, 2, inHeight, midHeight, inWidth);
                for (int j = 0; j < rowMultiplier; j++)
                {
                    int o = m * rowMultiplier + j;
                    RowPlane(intermediate, destination + o * outPlane, rowWeights + o * rowK, rowBias[o], rowK, rowPad, 2, midHeight, inWidth, outWidth, relu6);
                }
            }
    }

    private static void ColumnPlane(float* plane, float* outPlane, float* taps, float bias, int k, int pad, int stride, int inHeight, int outHeight, int width)
    {
        for (int outY = 0; outY < outHeight; outY++)
            for (int x = 0; x < width; x++)
            {
                float acc = bias;
                for (int tap = 0; tap < k; tap++)
                {
                    int inY = Rules.InputCoordinate(outY, tap, stride, pad);
                    if (Rules.Inside(inY, inHeight)) acc += taps[tap] * plane[inY * width + x];
                }
                outPlane[outY * width + x] = acc;
            }
    }

    private static void RowPlane(float* plane, float* outPlane, float* taps, float bias, int k, int pad, int stride, int height, int inWidth, int outWidth, bool relu6)
    {
        for (int y = 0; y < height; y++)
            for (int outX = 0; outX < outWidth; outX++)
            {
                float acc = bias;
                for (int tap = 0; tap < k; tap++)
                {
                    int inX = Rules.InputCoordinate(outX, tap, stride, pad);
                    if (Rules.Inside(inX, inWidth)) acc += taps[tap] * plane[y * inWidth + inX];
                }
                outPlane[y * outWidth + outX] = relu6 ? Rules.Relu6(acc) : acc;
            }
    }
}
