// int8 convolution (docs/int8.md, "Conv"): any kernel size, stride and group count, over int8 NCHW
// planes read through a plane table (the channel shuffles before a layer cost nothing), int32
// accumulation, per-channel requantization. Portable scalar code: the definition the faster
// kernels of the int8-speed issue must equal bit for bit.
using System.Runtime.CompilerServices;

namespace MicroNet.Aot.Runtime;

/// <summary>The int8 kernels the generated int8 model classes call (docs/int8.md defines each).</summary>
/// <remarks>Called by the generated model classes; not a user API, and its signatures may change between versions.</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static unsafe partial class Int8
{
    /// <summary>Geometry of one convolution (all sizes in elements).</summary>
#pragma warning disable CS1591 // a holder of the constants its kernel documents
    public readonly struct ConvShape
    {
        public ConvShape(int inHeight, int inWidth, int outChannels, int outHeight, int outWidth, int inPerGroup, int outPerGroup,
            int kernelH, int kernelW, int strideH, int strideW, int padH, int padW)
        {
            InHeight = inHeight; InWidth = inWidth; OutChannels = outChannels; OutHeight = outHeight; OutWidth = outWidth;
            InPerGroup = inPerGroup; OutPerGroup = outPerGroup; KernelH = kernelH; KernelW = kernelW;
            StrideH = strideH; StrideW = strideW; PadH = padH; PadW = padW;
        }
        public int InHeight { get; }
        public int InWidth { get; }
        public int OutChannels { get; }
        public int OutHeight { get; }
        public int OutWidth { get; }
        public int InPerGroup { get; }
        public int OutPerGroup { get; }
        public int KernelH { get; }
        public int KernelW { get; }
        public int StrideH { get; }
        public int StrideW { get; }
        public int PadH { get; }
        public int PadW { get; }
    }
#pragma warning restore CS1591

    /// <summary>
    /// out[o] = requantize(bias[o] + sum of w[o, ci, ty, tx] * (in[group(o) * inPerGroup + ci] - inZero), multiplier[o], shift[o], outZero).
    /// Input channel c is the plane starting at <c>input + planes[c] * inH * inW</c>; a tap in the padding adds 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Conv(sbyte* input, int* planes, sbyte* output, in ConvShape s, sbyte* weights, int* bias,
        int* multipliers, int* shifts, int inZero, int outZero)
    {
        int inPlane = s.InHeight * s.InWidth, outPlane = s.OutHeight * s.OutWidth;
        int taps = s.KernelH * s.KernelW;
        for (int o = 0; o < s.OutChannels; o++)
        {
            int group = o / s.OutPerGroup;
            sbyte* filter = weights + (long)o * s.InPerGroup * taps;
            sbyte* result = output + (long)o * outPlane;
            int q = multipliers[o], shift = shifts[o];
            for (int oy = 0; oy < s.OutHeight; oy++)
                for (int ox = 0; ox < s.OutWidth; ox++)
                {
                    int acc = bias[o];
                    for (int ci = 0; ci < s.InPerGroup; ci++)
                    {
                        sbyte* source = input + (long)planes[group * s.InPerGroup + ci] * inPlane;
                        sbyte* w = filter + ci * taps;
                        for (int ty = 0; ty < s.KernelH; ty++)
                        {
                            int iy = oy * s.StrideH + ty - s.PadH;
                            if ((uint)iy >= (uint)s.InHeight) continue; // zero padding: the real value 0 adds nothing
                            for (int tx = 0; tx < s.KernelW; tx++)
                            {
                                int ix = ox * s.StrideW + tx - s.PadW;
                                if ((uint)ix >= (uint)s.InWidth) continue;
                                acc += w[ty * s.KernelW + tx] * (source[iy * s.InWidth + ix] - inZero);
                            }
                        }
                    }
                    result[oy * s.OutWidth + ox] = Requantization.Requantize(acc, q, shift, outZero);
                }
        }
    }

    /// <summary>
    /// The per-channel requantization multipliers of a conv or linear layer, computed once when the
    /// weights are opened: QuantizeMultiplier((double)inScale * weightScale[c] / outScale).
    /// </summary>
    public static void ChannelMultipliers(float inScale, float* weightScales, float outScale, int count, int* multipliers, int* shifts)
    {
        for (int c = 0; c < count; c++)
        {
            Requantization.QuantizeMultiplier((double)inScale * weightScales[c] / outScale, out multipliers[c], out shifts[c]);
            if (shifts[c] > 30)
                throw new System.IO.InvalidDataException("an int8 requantization multiplier needs a shift of " + shifts[c] + " (at most 30): the model's scales are inconsistent; quantize it again");
        }
    }
}
