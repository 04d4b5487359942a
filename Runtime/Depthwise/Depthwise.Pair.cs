// A stride-1 depthwise k x 1 conv and the 1 x k conv that reads only it, plane by plane: the dispatcher
// (AVX-512 rows in registers, the channel-blocked AVX2 kernel, else staged planes) and the portable path.
using System;
using System.Runtime.CompilerServices;

namespace MicroNet.Aot.Runtime;

public static unsafe partial class Depthwise
{
    /// <summary>Largest intermediate plane (floats) <see cref="Pair"/> runs from L1; generators fuse only pairs up to it.</summary>
    private const int PairPlaneFloats = Shared.KernelLimits.PairPlaneFloats;

    /// <summary>
    /// A depthwise k x 1 conv (stride 1) and the depthwise 1 x k conv (stride 1, one output per
    /// plane) that reads nothing but its output, run plane by plane: intermediate plane m is the
    /// k x 1 conv (columnWeights[m*columnK ..], columnBias[m]) of input plane
    /// <paramref name="inputPlanes"/>[m], kept in a stack buffer (L1) instead of the arena, and output
    /// plane m is the 1 x k conv of it (rowWeights[m*rowK ..], rowBias[m]), clamped to [0, 6] with
    /// <paramref name="relu6"/>. Each value is summed exactly as by the two layers apart.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pair(ref float input, ReadOnlySpan<int> inputPlanes, nint inPlane, ref float output, nint outPlane,
        float* columnWeights, float* columnBias, int columnK, int columnPad, float* rowWeights, float* rowBias, int rowK, int rowPad,
        int height, int width, bool relu6)
    {
        nint n = (nint)height * width;
#if NET9_0_OR_GREATER
        if (PairRowsApplies(columnK, columnPad, rowK, rowPad, width))
        {
            // AVX-512: a plane row per vector, the intermediate row never leaving its register
            PairRows(ref input, inputPlanes, inPlane, ref output, outPlane, columnWeights, columnBias, columnK, rowWeights, rowBias, rowK, height, width, relu6);
            return;
        }
#endif
        if (PairVectorsAdvSimdApplies(columnK, columnPad, rowK, rowPad, width))
        {
            // ARM64: the intermediate row in registers, a vector at a time (Depthwise.Pair.AdvSimd.cs)
            PairVectorsAdvSimd(ref input, inputPlanes, inPlane, ref output, outPlane, columnWeights, columnBias, columnK, rowWeights, rowBias, rowK, height, width, relu6);
            return;
        }
        if (width <= PairBlocks8Stride1MaxWidth && PairBlocks8Applies(inputPlanes.Length, inPlane, outPlane, columnK, columnPad, rowK, rowPad, 1, height, width))
        {
            // small planes: eight channels at a time, channel-blocked on the stack (bit for bit the same sums)
            int done = PairBlocks8(ref input, inputPlanes, inPlane, ref output, outPlane, columnWeights, columnBias, columnK, columnPad,
                rowWeights, rowBias, rowK, rowPad, 1, height, width, relu6);
            if (done == inputPlanes.Length) return;
            inputPlanes = inputPlanes.Slice(done);
            output = ref Unsafe.Add(ref output, done * outPlane);
            columnWeights += done * columnK; columnBias += done;
            rowWeights += done * rowK; rowBias += done;
        }
        // the intermediate plane with a guard either side: the row taps read up to rowK - 1 floats past it (masked)
        float* middle = stackalloc float[(int)n + 2 * Guard];
        new Span<float>(middle, (int)n + 2 * Guard).Clear();
        float* plane = middle + Guard;
        bool fits = n >= 8 && n <= PairPlaneFloats && inPlane == n && columnPad >= 0 && columnPad < columnK &&
            rowPad >= 0 && rowPad < rowK && rowK - 1 <= Guard;
        if (!fits)
        {
            // any other shape: the single-plane kernels through the same stack plane
            for (int m = 0; m < inputPlanes.Length; m++)
            {
                Column(ref Unsafe.Add(ref input, inputPlanes[m] * inPlane), ref *plane, columnWeights + m * columnK, columnBias[m],
                    columnK, columnPad, 1, height, height, width, accumulate: false);
                Row(ref *plane, ref Unsafe.Add(ref output, m * outPlane), rowWeights + m * rowK, rowBias[m], rowK, rowPad, 1, height, width, width, relu6);
            }
            return;
        }
        // k x 1: the input plane copied between zero rows, one flat unmasked loop (as Columns)
        nint above = columnPad * (nint)width, below = (columnK - 1 - columnPad) * (nint)width;
        float* stage = stackalloc float[(int)(above + n + below)];
        new Span<float>(stage, (int)(above + n + below)).Clear();
        // 1 x k: the flat loop over the plane with the taps that leave a row masked (as RowsInPlace)
        var rows = new RowMasking(stackalloc int[(int)n], stackalloc uint[IndexMaskedTapsApply(rowK, rowPad) ? 0 : (int)(rowK * n)], stackalloc nint[rowK],
            rowK, rowPad, height, width);
        if (IndexMaskedTapsApply(columnK, columnPad) && height >= columnK)
        {
            // with AVX the k x 1 reads its plane in place too (its masked reads reach at most one
            // neighbouring plane: the plane has at least k rows), the taps that leave the plane masked
            // by comparing a row-index vector; only the lowest and highest input plane (whose
            // neighbours lie outside the tensor) are staged. Measured against the staged copy:
            // 0.85x per 7x7 pair, even on 14x14.
            int* rowIndex = stackalloc int[(int)n];
            for (int y = 0, j = 0; y < height; y++)
                for (int x = 0; x < width; x++) rowIndex[j++] = y;
            int lowest = int.MaxValue, highest = int.MinValue;
            foreach (int p in inputPlanes) { lowest = Math.Min(lowest, p); highest = Math.Max(highest, p); }
            // rows of 10-16 floats (the 14x14 stage): the 1 x k row by row as two overlapping vectors
            // whose edge taps are masked by constants, instead of the flat loop's per-vector compares
            bool rowsOfTwoVectors = (rowK == 3 || rowK == 5) && rowPad == rowK / 2 && width >= 10 && width <= 16;
            // the k x 1's vectors wholly inside rows pad .. height - 1 - pad (17 of 25 on 14x14, k = 5)
            // run unmasked: 0.90-0.94x per 14x14 pair on M3
            nint interiorFrom = (columnPad * (nint)width + 7) & ~(nint)7, interiorTo = (height - columnPad) * (nint)width & ~(nint)7;
            if (interiorTo - interiorFrom < 8 || n - interiorTo < 8) interiorFrom = interiorTo = 0;
            for (int m = 0; m < inputPlanes.Length; m++)
            {
                int p = inputPlanes[m];
                ref float source = ref Unsafe.Add(ref input, p * inPlane);
                if (p == lowest || p == highest)
                {
                    if (m == 0 || inputPlanes[m - 1] != p) Copy(ref source, stage + above, n);
                    source = ref *(stage + above);
                }
                if (columnK == 3) IndexMaskedTaps3(ref source, ref *plane, columnWeights + m * 3, columnBias[m], n, rowIndex, height, width, relu6: false, interiorFrom, interiorTo);
                else IndexMaskedTaps5(ref source, ref *plane, columnWeights + m * 5, columnBias[m], n, rowIndex, height, width, relu6: false, interiorFrom, interiorTo);
                if (rowsOfTwoVectors)
                    RowTaps5TwoVectors(plane, ref Unsafe.Add(ref output, m * outPlane), rowWeights + m * rowK, rowBias[m], rowK, height, width, relu6);
                else
                    rows.Run(ref *plane, ref Unsafe.Add(ref output, m * outPlane), rowWeights + m * rowK, rowBias[m], n, relu6);
            }
            return;
        }
        nint* columnOffsets = stackalloc nint[columnK];
        for (int t = 0; t < columnK; t++) columnOffsets[t] = t * (nint)width; // output row y, tap t reads staged row y + t
        for (int m = 0; m < inputPlanes.Length; m++)
        {
            if (m == 0 || inputPlanes[m] != inputPlanes[m - 1]) // outputs of one input plane (a channel multiplier) share the copy
                Copy(ref Unsafe.Add(ref input, inputPlanes[m] * inPlane), stage + above, n);
            Taps(ref *stage, columnOffsets, ref *plane, columnWeights + m * columnK, columnBias[m], columnK, n, null, 0, relu6: false);
            rows.Run(ref *plane, ref Unsafe.Add(ref output, m * outPlane), rowWeights + m * rowK, rowBias[m], n, relu6);
        }
    }
}
