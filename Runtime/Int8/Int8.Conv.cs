// int8 convolution (docs/int8.md, "Conv"): any kernel size, stride and group count, over int8 NCHW
// planes read through a plane table (the channel shuffles before a layer cost nothing), int32
// accumulation, per-channel requantization. MicroNet's shapes (1x1, k x 1, 1 x k) run on the vector
// kernels of Int8.DotRows.cs; the definition, and the fallback, is Reference/Reference.Int8.cs.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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
        int* pairs = stackalloc int[PackedWeightInts(count, s.OutPerGroup)];
        ChannelRequant* requant = stackalloc ChannelRequant[s.OutPerGroup];
        sbyte** rows = stackalloc sbyte*[count];
        // the packed input tile of DotRows, 64-byte aligned
        byte* tileSpace = stackalloc byte[TileBytes(count) + 64];
        void* tile = (void*)(((nint)tileSpace + 63) & ~(nint)63);
        // the padded (and for stride 2 deinterleaved) copies of the k x 1 and 1 x k convs, and their wide outputs
        sbyte* copies = stackalloc sbyte[CopyBytes];
        // filled with the input's zero point once: the groups' copies overwrite only their data, so
        // the padding (rows, columns, the zero row of a stride-2 k x 1) keeps reading the real 0
        new System.Span<sbyte>(copies, CopyBytes).Fill((sbyte)inZero);
        sbyte* wide = stackalloc sbyte[WideBytes];
        for (int g = 0; g < groups; g++)
        {
            int first = g * s.OutPerGroup;
            sbyte* groupWeights = weights + (long)first * count;
            PackWeights(groupWeights, count, s.OutPerGroup, bias + first, inZero, pairs);
            for (int o = 0; o < s.OutPerGroup; o++)
                requant[o] = new ChannelRequant(multipliers[first + o], shifts[first + o], outZero, sbyte.MinValue, sbyte.MaxValue);
            int* groupPlanes = planes + g * s.InPerGroup;
            sbyte* groupOutput = output + (long)first * outPlane;
            var group = new GroupArgs(groupWeights, pairs, bias + first, requant, rows, tile, inZero);
            if (s.KernelH == 1 && s.KernelW == 1)
            {
                // 1x1, stride 1: the group's input planes are the rows, a whole plane at a time
                for (int ci = 0; ci < s.InPerGroup; ci++) rows[ci] = input + (long)groupPlanes[ci] * inPlane;
                DotRows(rows, count, outPlane, groupWeights, pairs, bias + first, requant, s.OutPerGroup, groupOutput, outPlane, inZero, tile);
            }
            else if (s.KernelW == 1)
                ColumnConv(input, groupPlanes, groupOutput, s, group, copies);
            else
                RowConv(input, groupPlanes, groupOutput, s, group, copies, wide);
        }
    }

    /// <summary>
    /// The vector part of a stride-2 row copy: 16 source bytes at a time split into their even and odd
    /// columns (pshufb / tbl with a constant table), stored to the copies of the padded columns' parity.
    /// Returns the first column it did not copy.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Deinterleave(sbyte* source, int width, int pad, sbyte* even, sbyte* odd)
    {
        int ix = 0;
        if (!Vector128.IsHardwareAccelerated) return 0;
        // padded column i = ix + pad: with an odd pad, the source's even columns are the padded odd ones
        sbyte* first = (pad & 1) == 0 ? even : odd, second = (pad & 1) == 0 ? odd : even;
        var split = Vector128.Create((sbyte)0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
        for (; ix + 16 <= width; ix += 16)
        {
            var v = Vector128.Shuffle(Vector128.Load(source + ix), split).AsInt64();
            *(long*)(first + ((ix + pad) >> 1)) = v.GetElement(0);
            *(long*)(second + ((ix + 1 + pad) >> 1)) = v.GetElement(1);
        }
        return ix;
    }

    /// <summary>Stack bytes for the padded input copies (per group).</summary>
    private const int CopyBytes = 8192;

    /// <summary>Stack bytes for the wide outputs of a 1 x k band (per group).</summary>
    private const int WideBytes = 8192;

    /// <summary>What a group's DotRows calls share.</summary>
    private readonly struct GroupArgs
    {
        public GroupArgs(sbyte* weights, int* pairs, int* bias, ChannelRequant* requant, sbyte** rows, void* tile, int inZero)
        {
            Weights = weights; Pairs = pairs; Bias = bias; Requant = requant; Rows = rows; Tile = tile; InZero = inZero;
        }
        public sbyte* Weights { get; }
        public int* Pairs { get; }
        public int* Bias { get; }
        public ChannelRequant* Requant { get; }
        public sbyte** Rows { get; }
        public void* Tile { get; }
        public int InZero { get; }
    }

    /// <summary>The shapes the vector kernels take: MicroNet's factorized convs, within the stack budgets.</summary>
    private static bool FastConvApplies(in ConvShape s)
    {
        if (!DotRowsAccelerated) return false;
        int taps = s.KernelH * s.KernelW, count = s.InPerGroup * taps;
        if (count > MaxDotRows || s.OutPerGroup * ((count + 1) / 2) > 8192) return false;
        if (s.KernelH == 1 && s.KernelW == 1)
            return s.StrideH == 1 && s.StrideW == 1 && s.PadH == 0 && s.PadW == 0 && s.InHeight == s.OutHeight && s.InWidth == s.OutWidth;
        if (s.KernelW == 1) // k x 1: whole rows of the input
            return s.StrideW == 1 && s.PadW == 0 && s.InWidth == s.OutWidth && (s.StrideH == 1 || s.StrideH == 2) && s.InWidth + 16 <= CopyBytes;
        if (s.KernelH == 1) // 1 x k: bands of padded rows; one row of every input of the group must fit
            return s.StrideH == 1 && s.PadH == 0 && s.InHeight == s.OutHeight && (s.StrideW == 1 || s.StrideW == 2) &&
                (long)s.InPerGroup * (s.InWidth + 2 * s.PadW + 2) + 16 <= CopyBytes && (long)s.OutPerGroup * (s.InWidth + 2 * s.PadW + 2) <= WideBytes;
        return false;
    }

    /// <summary>
    /// k x 1 along H (stride 1 or 2). Stride 1: each input plane copied between pad rows of its zero
    /// point when it fits, then the whole output plane is one span whose tap ty reads the copy shifted
    /// by ty rows; otherwise the rows whose taps all lie inside as one span and the others row by row.
    /// Stride 2: row by row, a tap in the padding reading a row of the zero point.
    /// </summary>
    private static void ColumnConv(sbyte* input, int* groupPlanes, sbyte* output, in ConvShape s, in GroupArgs g, sbyte* copies)
    {
        int k = s.KernelH, count = s.InPerGroup * k, width = s.InWidth;
        int inPlane = s.InHeight * width, outPlane = s.OutHeight * s.OutWidth;
        sbyte** rows = g.Rows;
        long paddedPlane = (long)(s.InHeight + k) * width; // pad rows above and below (k - 1 - pad <= k below)
        if (s.StrideH == 1 && s.InPerGroup * paddedPlane + 16 <= CopyBytes)
        {
            for (int ci = 0; ci < s.InPerGroup; ci++)
            {
                sbyte* copy = copies + ci * paddedPlane;
                new System.ReadOnlySpan<sbyte>(input + (long)groupPlanes[ci] * inPlane, inPlane).CopyTo(new System.Span<sbyte>(copy + (long)s.PadH * width, inPlane));
                for (int ty = 0; ty < k; ty++) rows[ci * k + ty] = copy + (long)ty * width;
            }
            DotRows(rows, count, outPlane, g.Weights, g.Pairs, g.Bias, g.Requant, s.OutPerGroup, output, outPlane, g.InZero, g.Tile);
            return;
        }
        // a row of the input's zero point (copies is filled with it): what a tap in the padding reads
        sbyte* zeroRow = copies;
        // the output rows whose taps all lie inside the input
        int interiorFirst = (s.PadH + s.StrideH - 1) / s.StrideH;
        int interiorEnd = s.InHeight - k + s.PadH < 0 ? 0 : (s.InHeight - k + s.PadH) / s.StrideH + 1;
        if (interiorEnd > s.OutHeight) interiorEnd = s.OutHeight;
        if (interiorFirst > interiorEnd) interiorFirst = interiorEnd;
        bool band = s.StrideH == 1 && interiorEnd > interiorFirst;
        if (band)
        {
            // stride 1: the interior rows are one contiguous span in the input as in the output
            for (int ci = 0; ci < s.InPerGroup; ci++)
                for (int ty = 0; ty < k; ty++)
                    rows[ci * k + ty] = input + (long)groupPlanes[ci] * inPlane + (long)(interiorFirst + ty - s.PadH) * width;
            DotRows(rows, count, (nint)(interiorEnd - interiorFirst) * width, g.Weights, g.Pairs, g.Bias, g.Requant, s.OutPerGroup,
                output + (long)interiorFirst * width, outPlane, g.InZero, g.Tile);
        }
        for (int oy = 0; oy < s.OutHeight; oy++)
        {
            if (band && oy >= interiorFirst && oy < interiorEnd) continue;
            for (int ci = 0; ci < s.InPerGroup; ci++)
                for (int ty = 0; ty < k; ty++)
                {
                    int iy = oy * s.StrideH + ty - s.PadH;
                    rows[ci * k + ty] = (uint)iy < (uint)s.InHeight ? input + (long)groupPlanes[ci] * inPlane + (long)iy * width : zeroRow;
                }
            DotRows(rows, count, width, g.Weights, g.Pairs, g.Bias, g.Requant, s.OutPerGroup, output + (long)oy * width, outPlane, g.InZero, g.Tile);
        }
    }

    /// <summary>
    /// 1 x k along W (stride 1 or 2), in bands of rows: each input row copied with its padding (the
    /// zero point) into a stack row of length L, for stride 2 split into its even and odd columns (two
    /// rows of L / 2), the band's rows back to back. Tap tx of output column ox of band row r is then
    /// position r * L' + ox (+ tx or + tx / 2) of one copy, so the whole band is one span of "wide"
    /// outputs (L' per row, the first OutWidth of each valid), compacted into the output afterwards.
    /// </summary>
    private static void RowConv(sbyte* input, int* groupPlanes, sbyte* output, in ConvShape s, in GroupArgs g, sbyte* copies, sbyte* wide)
    {
        int k = s.KernelW, count = s.InPerGroup * k, inWidth = s.InWidth, outWidth = s.OutWidth;
        int inPlane = s.InHeight * inWidth, outPlane = s.OutHeight * outWidth;
        sbyte** rows = g.Rows;
        bool stride2 = s.StrideW == 2;
        int padded = inWidth + 2 * s.PadW;
        if (stride2 && (padded & 1) != 0) padded++;               // even, so that its halves have equal length
        int rowLength = stride2 ? padded / 2 : padded;             // L': the wide output per band row
        int perChannelRow = stride2 ? padded : padded;             // bytes one row of one input takes in the copies
        int bandRows = System.Math.Min(System.Math.Min((CopyBytes - 16) / (s.InPerGroup * perChannelRow), WideBytes / (s.OutPerGroup * rowLength)), s.OutHeight);
        long perChannel = (long)bandRows * perChannelRow;           // one input's band in the copies
        for (int ci = 0; ci < s.InPerGroup; ci++)
            for (int tx = 0; tx < k; tx++)
            {
                sbyte* channel = copies + ci * perChannel;
                // stride 2: the even columns of the band's rows, then the odd ones (bandRows x L / 2 each)
                rows[ci * k + tx] = !stride2 ? channel + tx : (tx % 2 == 0 ? channel + tx / 2 : channel + (long)bandRows * rowLength + tx / 2);
            }
        for (int y0 = 0; y0 < s.OutHeight; y0 += bandRows)
        {
            int r = System.Math.Min(bandRows, s.OutHeight - y0);
            for (int ci = 0; ci < s.InPerGroup; ci++)
            {
                sbyte* channel = copies + ci * perChannel;
                for (int row = 0; row < r; row++)
                {
                    sbyte* source = input + (long)groupPlanes[ci] * inPlane + (long)(y0 + row) * inWidth;
                    if (!stride2)
                        new System.ReadOnlySpan<sbyte>(source, inWidth).CopyTo(new System.Span<sbyte>(channel + (long)row * padded + s.PadW, inWidth));
                    else
                    {
                        sbyte* even = channel + (long)row * rowLength, odd = channel + (long)bandRows * rowLength + (long)row * rowLength;
                        int ix = Deinterleave(source, inWidth, s.PadW, even, odd);
                        for (; ix < inWidth; ix++)
                        {
                            int i = ix + s.PadW; // the padded column
                            if ((i & 1) == 0) even[i >> 1] = source[ix]; else odd[i >> 1] = source[ix];
                        }
                    }
                }
            }
            // the wide span: every band row's L' positions but the last row's, which stops at OutWidth
            nint span = (nint)(r - 1) * rowLength + outWidth;
            DotRows(rows, count, span, g.Weights, g.Pairs, g.Bias, g.Requant, s.OutPerGroup, wide, (nint)bandRows * rowLength, g.InZero, g.Tile);
            for (int o = 0; o < s.OutPerGroup; o++)
                for (int row = 0; row < r; row++)
                    new System.ReadOnlySpan<sbyte>(wide + (long)o * bandRows * rowLength + (long)row * rowLength, outWidth)
                        .CopyTo(new System.Span<sbyte>(output + (long)o * outPlane + (long)(y0 + row) * outWidth, outWidth));
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
