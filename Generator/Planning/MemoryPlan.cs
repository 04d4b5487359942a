// Stage 3: the static memory plan. Every tensor the network materializes gets a buffer in one
// arena; buffers whose lifetimes (first write .. last read, in layer steps) do not overlap share
// space. Channel shuffles materialize nothing: they only change the channel map through which the
// next layer reads its input planes. ReLU6 and the residual add work in place. A depthwise
// k x 1 conv read only by the next layer's depthwise 1 x k conv is fused into it: the pair runs
// plane by plane and its intermediate tensor takes no arena space.
using System.Collections.Generic;
using MicroNet.Aot.Model.Lowering;

namespace MicroNet.Aot.Planning;

/// <summary>Where a tensor lives: the network input, the caller's output, or an arena buffer.</summary>
internal static class Storage
{
    public const int NetworkInput = -1;
    public const int NetworkOutput = -2;
    /// <summary>The intermediate tensor of a fused pair: one plane (stride 1) or a few rows (stride 2) at a time on the stack, never in the arena.</summary>
    public const int Fused = -3;
}

/// <summary>
/// A tensor as a consumer sees it: its storage and, for shuffled tensors, which physical channel
/// plane holds each logical channel (null: identity).
/// </summary>
internal sealed class TensorView
{
    public TensorView(int buffer, int[]? channelMap, Shape shape) { Buffer = buffer; ChannelMap = channelMap; Shape = shape; }
    public int Buffer { get; }
    public int[]? ChannelMap { get; }
    public Shape Shape { get; }
    public int Plane(int logicalChannel) => ChannelMap == null ? logicalChannel : ChannelMap[logicalChannel];
}

internal sealed class PlannedBuffer
{
    public int Id { get; set; }
    /// <summary>What the buffer holds ("features.3.layers.1 output", "... pooled means").</summary>
    public string Name { get; set; } = "";
    /// <summary>Floats, before alignment.</summary>
    public long Size { get; set; }
    public long AlignedSize => (Size + MemoryPlanner.AlignmentFloats - 1) / MemoryPlanner.AlignmentFloats * MemoryPlanner.AlignmentFloats;
    public int FirstStep { get; set; }
    public int LastStep { get; set; }
    /// <summary>Offset in the arena, in floats.</summary>
    public long Offset { get; set; }
}

internal sealed class PlannedLayer
{
    public PlannedLayer(Layer layer, TensorView[] inputs, TensorView output)
    {
        Layer = layer; Inputs = inputs; Output = output;
    }
    public Layer Layer { get; }
    public TensorView[] Inputs { get; }
    public TensorView Output { get; }
    /// <summary>False for layers that run no code of their own (channel shuffles, the first conv of a fused pair).</summary>
    public bool RunsCode => Layer.Kind != LayerKind.ChannelShuffle && !FusedIntoNext;
    /// <summary>A depthwise k x 1 conv whose only reader, the next layer's 1 x k conv, computes it plane by plane.</summary>
    public bool FusedIntoNext { get; set; }
    /// <summary>For the 1 x k conv of a fused pair: the k x 1 conv it runs with (whose inputs are the pair's inputs).</summary>
    public PlannedLayer? FusedFrom { get; set; }
    /// <summary>Scratch buffers of the layer itself (Shift-Max: pooled means, hidden, coefficients).</summary>
    public List<int> Temps { get; } = new List<int>();
}

internal sealed class MemoryPlan
{
    public MemoryPlan(Network network, List<PlannedLayer> steps, List<PlannedBuffer> buffers, long arenaLength, long lowerBound, long naiveSum)
    {
        Network = network; Steps = steps; Buffers = buffers; ArenaLength = arenaLength; LowerBound = lowerBound; NaiveSum = naiveSum;
    }
    public Network Network { get; }
    public List<PlannedLayer> Steps { get; }
    public List<PlannedBuffer> Buffers { get; }
    /// <summary>Floats the arena needs (ScratchLength).</summary>
    public long ArenaLength { get; }
    /// <summary>The largest total (aligned) size of buffers alive at one step: no plan can do better.</summary>
    public long LowerBound { get; }
    /// <summary>The sum of all buffers (what a plan without reuse would need).</summary>
    public long NaiveSum { get; }
}
