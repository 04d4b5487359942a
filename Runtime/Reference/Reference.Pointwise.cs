using System;

namespace MicroNet.Aot.Runtime.Reference;

/// <summary>The 1x1 group convolution as plain loops (one group per call). Same signature as <see cref="Runtime.Pointwise"/>.</summary>
/// <remarks>The tests' oracle for the optimized kernels; not a user API (hidden from IntelliSense).</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static unsafe class Pointwise
{
    /// <summary>output[o*n + p] = bias[o] + sum_i weights[o * planes.Length + i] * input[planes[i]*n + p], clamped to [0, 6] with <paramref name="relu6"/>.</summary>
    public static void GroupConv(ref float input, ReadOnlySpan<int> planes, ref float output, float* weights, float* bias, int outputs, nint n, bool relu6 = false)
    {
        int inputsPerOutput = planes.Length;
        fixed (float* source = &input, destination = &output)
            for (int outChannel = 0; outChannel < outputs; outChannel++)
                for (nint position = 0; position < n; position++)
                {
                    float acc = bias[outChannel];
                    for (int inChannel = 0; inChannel < inputsPerOutput; inChannel++)
                        acc += weights[outChannel * inputsPerOutput + inChannel] * source[planes[inChannel] * n + position];
                    destination[outChannel * n + position] = relu6 ? Rules.Relu6(acc) : acc;
                }
    }
}
