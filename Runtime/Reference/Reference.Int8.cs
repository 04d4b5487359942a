// The int8 convolution and linear layer as plain loops (docs/int8.md, "Conv" and "Linear"): the
// definition the fast kernels (Runtime/Int8) equal bit for bit, checked by Int8KernelTests at every
// SIMD level; the integer reference tools/reference/int8_reference.py is written from the same text.
using System.Runtime.CompilerServices;

namespace MicroNet.Aot.Runtime.Reference;

/// <summary>The int8 conv as a plain loop; same signature as <see cref="Runtime.Int8.Conv"/>.</summary>
/// <remarks>The tests' oracle and the fast kernels' fallback for shapes they do not take; not a user API.</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static unsafe class Int8
{
    /// <summary>
    /// out[o] = requantize(bias[o] + sum of w[o, ci, ty, tx] * (in[group(o) * inPerGroup + ci] - inZero), multiplier[o], shift[o], outZero).
    /// Input channel c is the plane starting at <c>input + planes[c] * inH * inW</c>; a tap in the padding adds 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Conv(sbyte* input, int* planes, sbyte* output, in Runtime.Int8.ConvShape s, sbyte* weights, int* bias,
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
}
