// int8 convolution (docs/int8.md, "Conv"): any kernel size, stride and group count, over int8 NCHW
// planes read through a plane table (the channel shuffles before a layer cost nothing), int32
// accumulation, per-channel requantization. MicroNet's shapes (1x1, k x 1, 1 x k) run on the vector
// kernels of Int8.DotRows.cs; the definition, and the fallback, is Reference/Reference.Int8.cs.
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
    /// Bit for bit <see cref="Reference.Int8.Conv"/>: the 1x1, k x 1 and 1 x k shapes (stride 1 or 2)
    /// on the vector kernels of Int8.DotRows.cs, anything else on the reference loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Conv(sbyte* input, int* planes, sbyte* output, in ConvShape s, sbyte* weights, int* bias,
        int* multipliers, int* shifts, int inZero, int outZero)
    {
        if (!FastConvApplies(s))
        {
            Reference.Int8.Conv(input, planes, output, s, weights, bias, multipliers, shifts, inZero, outZero);
            return;
        }
        int taps = s.KernelH * s.KernelW, count = s.InPerGroup * taps, groups = s.OutChannels / s.OutPerGroup;
        int inPlane = s.InHeight * s.InWidth, outPlane = s.OutHeight * s.OutWidth;
        int pairsPerOutput = (count + 1) / 2;
        int* pairs = stackalloc int[s.OutPerGroup * pairsPerOutput];
        ChannelRequant* requant = stackalloc ChannelRequant[s.OutPerGroup];
        sbyte** rows = stackalloc sbyte*[count];
        // a row of the input's zero point: what a tap in the padding reads (q = z is the real 0)
        int zeroRowLength = System.Math.Max(s.InWidth, s.OutWidth) + 16;
        sbyte* zeroRow = stackalloc sbyte[zeroRowLength];
        new System.Span<sbyte>(zeroRow, zeroRowLength).Fill((sbyte)inZero);
        for (int g = 0; g < groups; g++)
        {
            int first = g * s.OutPerGroup;
            sbyte* groupWeights = weights + (long)first * count;
            PackWeightPairs(groupWeights, count, s.OutPerGroup, pairs);
            for (int o = 0; o < s.OutPerGroup; o++)
                requant[o] = new ChannelRequant(multipliers[first + o], shifts[first + o], outZero, sbyte.MinValue, sbyte.MaxValue);
            int* groupPlanes = planes + g * s.InPerGroup;
            sbyte* groupOutput = output + (long)first * outPlane;
            if (s.KernelH == 1 && s.KernelW == 1)
            {
                // 1x1, stride 1: the group's input planes are the rows, a whole plane at a time
                for (int ci = 0; ci < s.InPerGroup; ci++) rows[ci] = input + (long)groupPlanes[ci] * inPlane;
                DotRows(rows, count, outPlane, groupWeights, pairs, bias + first, requant, s.OutPerGroup, groupOutput, outPlane, inZero);
            }
            else if (s.KernelW == 1)
                ColumnConv(input, groupPlanes, groupOutput, s, groupWeights, pairs, bias + first, requant, rows, zeroRow, inZero);
            else
                RowConv(input, groupPlanes, groupOutput, s, groupWeights, pairs, bias + first, requant, rows, inZero);
        }
    }

    /// <summary>The shapes the vector kernels take: MicroNet's factorized convs, within the stack budgets.</summary>
    private static bool FastConvApplies(in ConvShape s)
    {
        if (!DotRowsAccelerated) return false;
        int taps = s.KernelH * s.KernelW, count = s.InPerGroup * taps;
        if (count > MaxDotRows || s.OutPerGroup * ((count + 1) / 2) > 8192) return false;
        if (s.KernelH == 1 && s.KernelW == 1)
            return s.StrideH == 1 && s.StrideW == 1 && s.PadH == 0 && s.PadW == 0 && s.InHeight == s.OutHeight && s.InWidth == s.OutWidth;
        if (s.KernelW == 1) // k x 1: rows of the input, whole
            return s.StrideW == 1 && s.PadW == 0 && s.InWidth == s.OutWidth && s.InWidth <= 4096;
        if (s.KernelH == 1) // 1 x k: each row padded (and deinterleaved for stride 2) on the stack
            return s.StrideH == 1 && s.PadH == 0 && s.InHeight == s.OutHeight && (s.StrideW == 1 || s.StrideW == 2) &&
                (long)s.InPerGroup * 2 * (s.InWidth + s.KernelW + 32) <= 16384;
        return false;
    }

    /// <summary>k x 1 (stride 1 or 2 along H): output row oy reads input rows oy * stride + ty - pad, the zero row outside.</summary>
    private static void ColumnConv(sbyte* input, int* groupPlanes, sbyte* output, in ConvShape s, sbyte* weights, int* pairs, int* bias,
        ChannelRequant* requant, sbyte** rows, sbyte* zeroRow, int inZero)
    {
        int k = s.KernelH, count = s.InPerGroup * k, width = s.InWidth;
        int inPlane = s.InHeight * width, outPlane = s.OutHeight * s.OutWidth;
        // the output rows whose taps all lie inside the input
        int interiorFirst = (s.PadH + s.StrideH - 1) / s.StrideH;
        int interiorEnd = s.InHeight - k + s.PadH < 0 ? 0 : (s.InHeight - k + s.PadH) / s.StrideH + 1;
        if (interiorEnd > s.OutHeight) interiorEnd = s.OutHeight;
        if (interiorFirst > interiorEnd) interiorFirst = interiorEnd;
        if (s.StrideH == 1 && interiorEnd > interiorFirst)
        {
            // stride 1: the interior rows are one contiguous span in the input as in the output
            for (int ci = 0; ci < s.InPerGroup; ci++)
                for (int ty = 0; ty < k; ty++)
                    rows[ci * k + ty] = input + (long)groupPlanes[ci] * inPlane + (long)(interiorFirst + ty - s.PadH) * width;
            DotRows(rows, count, (nint)(interiorEnd - interiorFirst) * width, weights, pairs, bias, requant, s.OutPerGroup,
                output + (long)interiorFirst * width, outPlane, inZero);
        }
        for (int oy = 0; oy < s.OutHeight; oy++)
        {
            if (s.StrideH == 1 && oy >= interiorFirst && oy < interiorEnd) continue;
            for (int ci = 0; ci < s.InPerGroup; ci++)
                for (int ty = 0; ty < k; ty++)
                {
                    int iy = oy * s.StrideH + ty - s.PadH;
                    rows[ci * k + ty] = (uint)iy < (uint)s.InHeight ? input + (long)groupPlanes[ci] * inPlane + (long)iy * width : zeroRow;
                }
            DotRows(rows, count, width, weights, pairs, bias, requant, s.OutPerGroup, output + (long)oy * width, outPlane, inZero);
        }
    }

    /// <summary>
    /// 1 x k (stride 1 or 2 along W): each input row copied with its padding (the zero point) into a
    /// stack row, for stride 2 split into its even and odd columns, so that tap tx of output column ox
    /// is column ox (+ tx / 2) of one of them.
    /// </summary>
    private static void RowConv(sbyte* input, int* groupPlanes, sbyte* output, in ConvShape s, sbyte* weights, int* pairs, int* bias,
        ChannelRequant* requant, sbyte** rows, int inZero)
    {
        int k = s.KernelW, count = s.InPerGroup * k, inWidth = s.InWidth, outWidth = s.OutWidth;
        int inPlane = s.InHeight * inWidth, outPlane = s.OutHeight * outWidth;
        int padded = inWidth + k + 32; // the padded row, with room for a tile's reads past the last output
        int perChannel = s.StrideW == 1 ? padded : 2 * padded;
        sbyte* buffer = stackalloc sbyte[s.InPerGroup * perChannel];
        new System.Span<sbyte>(buffer, s.InPerGroup * perChannel).Fill((sbyte)inZero);
        for (int ci = 0; ci < s.InPerGroup; ci++)
            for (int tx = 0; tx < k; tx++)
            {
                sbyte* channel = buffer + ci * perChannel;
                rows[ci * k + tx] = s.StrideW == 1 ? channel + tx : (tx % 2 == 0 ? channel + tx / 2 : channel + padded + tx / 2);
            }
        for (int oy = 0; oy < s.OutHeight; oy++)
        {
            for (int ci = 0; ci < s.InPerGroup; ci++)
            {
                sbyte* source = input + (long)groupPlanes[ci] * inPlane + (long)oy * inWidth;
                sbyte* channel = buffer + ci * perChannel;
                if (s.StrideW == 1)
                    new System.ReadOnlySpan<sbyte>(source, inWidth).CopyTo(new System.Span<sbyte>(channel + s.PadW, inWidth));
                else
                    for (int ix = 0; ix < inWidth; ix++)
                    {
                        // padded column i = ix + pad: even columns first, odd ones after
                        int i = ix + s.PadW;
                        channel[(i & 1) * padded + (i >> 1)] = source[ix];
                    }
            }
            DotRows(rows, count, outWidth, weights, pairs, bias, requant, s.OutPerGroup, output + (long)oy * outWidth, outPlane, inZero);
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
