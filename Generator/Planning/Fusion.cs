// Planning, the fusion decisions: which layers run inside another layer's method. Two kinds:
// - a depthwise k x 1 conv read only by the next layer's 1 x k conv runs with it as one pair
//   (decided on the layer graph, before the memory plan: the pair's intermediate takes no arena space);
// - a ReLU6 that works in place on a conv's output is applied by that conv as it stores (decided
//   on the memory plan: the ReLU6 must touch exactly the buffer the conv just wrote).
// The limits shared with the runtime's kernels come from Runtime/Common/KernelLimits.cs (linked).
using System.Collections.Generic;
using System.Linq;
using MicroNet.Aot.Model.Lowering;
using MicroNet.Aot.Shared;

namespace MicroNet.Aot.Planning;

internal static class Fusion
{
    /// <summary>
    /// Most intermediate planes of a stem pair that runs fused. The fused stem reads the image's
    /// rows once per intermediate plane (from L1) where the unfused dense kernel reads them once for
    /// all; per-layer A/B: fused 0.77x with M0's 2 planes and 0.89x with M1's 3, but 1.02-1.06x with
    /// M2's and M3's 4 (and the next layer slower by 4-13 %), so those stay unfused.
    /// </summary>
    public const int MaxFusedStemPlanes = 3;

    /// <summary>Whether layer <paramref name="index"/> (a k x 1 conv) runs inside the next layer's method as a fused pair.</summary>
    public static bool FusesIntoNext(Network network, int index, int[] readers) =>
        index + 1 < network.Layers.Count && readers[index] == 1 &&
        (IsStride1Pair(network.Layers[index], network.Layers[index + 1]) || IsStride2Pair(network.Layers[index], network.Layers[index + 1]));

    /// <summary>
    /// A depthwise k x 1 conv (one input plane per output, stride 1) followed by a depthwise 1 x k
    /// conv (stride 1, one output per plane) that reads only it, over planes small enough to stay
    /// in L1 (<see cref="KernelLimits.PairPlaneFloats"/>): the runtime's Depthwise.Pair computes
    /// both plane by plane.
    /// </summary>
    private static bool IsStride1Pair(Layer first, Layer next) =>
        first.Kind == LayerKind.Conv && next.Kind == LayerKind.Conv &&
        first.KernelW == 1 && first.StrideW == 1 && first.StrideH == 1 && first.KernelH > 1 && first.Input.C / first.Groups == 1 &&
        first.PadH >= 0 && first.PadH < first.KernelH && first.Input.H == first.Output.H &&
        next.KernelH == 1 && next.StrideH == 1 && next.StrideW == 1 && next.KernelW > 1 && next.Input.C / next.Groups == 1 && next.Output.C == next.Input.C &&
        next.PadW >= 0 && next.PadW < next.KernelW && next.Input.W == next.Output.W &&
        next.Inputs.Length == 1 && next.Inputs[0] == first.Index &&
        first.Output.Elements / first.Output.C >= 8 && first.Output.Elements / first.Output.C <= KernelLimits.PairPlaneFloats;

    /// <summary>
    /// MicroNet's downsampling pair: a k x 1 conv with stride 2 along H (depthwise, or the stem's
    /// dense 3 x 1 over the RGB planes with at most <see cref="MaxFusedStemPlanes"/> outputs)
    /// followed by a depthwise 1 x k conv with stride 2 along W (k = 3 or 5, "same" padding, any
    /// channel multiplier) that reads only it, over rows of at least
    /// <see cref="KernelLimits.PairStride2MinWidth"/> floats (an even count): the runtime's
    /// Depthwise.PairStride2 computes a few intermediate rows at a time.
    /// </summary>
    private static bool IsStride2Pair(Layer first, Layer next) =>
        first.Kind == LayerKind.Conv && next.Kind == LayerKind.Conv &&
        first.KernelW == 1 && first.StrideW == 1 && first.StrideH == 2 && (first.KernelH == 3 || first.KernelH == 5) && first.PadH == first.KernelH / 2 &&
        (first.Input.C / first.Groups == 1 || first.Input.C / first.Groups == 3 && first.KernelH == 3 && first.Output.C <= MaxFusedStemPlanes) && first.Input.W == first.Output.W &&
        next.KernelH == 1 && next.StrideH == 1 && next.StrideW == 2 && (next.KernelW == 3 || next.KernelW == 5) && next.PadW == next.KernelW / 2 &&
        next.Input.C / next.Groups == 1 && next.Input.H == next.Output.H &&
        next.Inputs.Length == 1 && next.Inputs[0] == first.Index &&
        first.Output.W >= KernelLimits.PairStride2MinWidth && first.Output.W % 2 == 0;

    /// <summary>
    /// The ReLU6 layers that the conv before them applies as it stores: the ReLU6 is the next
    /// layer that runs code after the conv, it works in place on the buffer the conv wrote (an
    /// arena buffer), and the conv's kernel can clamp as it stores (<see cref="ClampsAsItStores"/>).
    /// Returns, for each such ReLU6 layer's index, the index of the conv that applies it.
    /// </summary>
    public static Dictionary<int, int> Relu6IntoConvs(MemoryPlan plan)
    {
        var convOf = new Dictionary<int, int>();
        var running = plan.Steps.Where(s => s.RunsCode).ToList();
        for (int i = 0; i + 1 < running.Count; i++)
        {
            var conv = running[i];
            var next = running[i + 1];
            if (conv.Layer.Kind == LayerKind.Conv && next.Layer.Kind == LayerKind.Relu6 && next.Output.Buffer == conv.Output.Buffer &&
                conv.Output.Buffer >= 0 && ClampsAsItStores(conv.Layer))
            {
                convOf[next.Layer.Index] = conv.Layer.Index;
            }
        }
        return convOf;
    }

    /// <summary>The kernels that can clamp as they store: the 1x1 group conv and the depthwise 1 x k conv (alone or as a pair's second).</summary>
    private static bool ClampsAsItStores(Layer l) =>
        (l.KernelH == 1 && l.KernelW == 1 && l.StrideH == 1 && l.StrideW == 1) ||
        (l.KernelH == 1 && l.StrideH == 1 && l.Input.C / l.Groups == 1 && !(l.KernelW == 1 && l.StrideW == 1));
}
