// The steps of an execution plan: one record type per runtime entry point (and one for layers that
// run no code of their own), each carrying every integer, offset, table and flag its call needs.
// Each has a printer of the same name in Emit/Printers/. To add an operator: a record here, its
// construction in ExecutionPlanner, a printer, and the runtime entry point (docs/architecture.md).
using System.Collections.Generic;
using MicroNet.Aot.Pipeline;

namespace MicroNet.Aot.Planning;

/// <summary>One step of the plan, in forward order; <see cref="Layer"/> is the layer it stands for (the last of a fused pair).</summary>
internal abstract record Step(LayerInfo Layer);

/// <summary>
/// A layer that runs no code of its own: a channel shuffle (its consumer reads through a channel
/// table), the k x 1 conv of a fused pair, a ReLU6 applied by the conv before it. Printed as a
/// one-line comment in the file and in Run, so a reader can follow the block layer by layer; the
/// note says what the layer is and where its work happens.
/// </summary>
internal sealed record NoCodeStep(LayerInfo Layer, string Note) : Step(Layer);

/// <summary>What every step that runs a method has: its name, layers, tensors, weights and scratch (for the comment block) and whether it applies the next layer's ReLU6.</summary>
internal sealed record StepHeader(
    string Method,
    EquatableArray<LayerInfo> Layers,
    EquatableArray<TensorRef> Inputs,
    TensorRef Output,
    EquatableArray<WeightInfo> Weights,
    EquatableArray<ScratchInfo> Scratch,
    bool Relu6);

/// <summary>A step that runs a generated method calling the runtime.</summary>
internal abstract record KernelStep(StepHeader Header) : Step(Header.Layers[Header.Layers.Count - 1])
{
    public TensorRef Input => Header.Inputs[0];
    public TensorRef Output => Header.Output;

    /// <summary>The tables the step's method reads (printed at the end of the class).</summary>
    public virtual IEnumerable<IntTable> Tables { get { yield break; } }
}

/// <summary>1x1 group conv: per group, <c>Pointwise.GroupConv</c> over the group's input planes.</summary>
internal sealed record PointwiseStep(StepHeader Header, int Groups, int InputsPerGroup, int OutputsPerGroup, long Positions,
    long WeightOffset, long BiasOffset, IntTable InputPlanes) : KernelStep(Header)
{
    public override IEnumerable<IntTable> Tables { get { yield return InputPlanes; } }
}

/// <summary>Depthwise k x 1 (stride along H): one <c>Depthwise.Columns</c> call; InputPlanes[c] is output c's input plane.</summary>
internal sealed record DepthwiseColumnsStep(StepHeader Header, long InPlane, long OutPlane, int K, int Pad, int Stride, int InHeight, int OutHeight, int Width,
    long WeightOffset, long BiasOffset, IntTable InputPlanes) : KernelStep(Header)
{
    public override IEnumerable<IntTable> Tables { get { yield return InputPlanes; } }
}

/// <summary>Depthwise 1 x k (stride along W): one <c>Depthwise.Rows</c> call.</summary>
internal sealed record DepthwiseRowsStep(StepHeader Header, long InPlane, long OutPlane, int K, int Pad, int Stride, int Height, int InWidth, int OutWidth,
    long WeightOffset, long BiasOffset, IntTable InputPlanes) : KernelStep(Header)
{
    public override IEnumerable<IntTable> Tables { get { yield return InputPlanes; } }
}

/// <summary>k x 1 whose groups have several inputs (the stem's dense conv) or 4+ outputs: <c>Depthwise.ColumnGroup</c> per group.</summary>
internal sealed record ColumnGroupStep(StepHeader Header, int Groups, int InputsPerGroup, int OutputsPerGroup, long InPlane, long OutPlane,
    int K, int Pad, int Stride, int InHeight, int OutHeight, int Width, long WeightOffset, long BiasOffset, IntTable InputPlanes) : KernelStep(Header)
{
    public override IEnumerable<IntTable> Tables { get { yield return InputPlanes; } }
}

/// <summary>A stride-1 depthwise k x 1 / 1 x k pair fused: <c>Depthwise.Pair</c>, the intermediate plane on the stack.</summary>
internal sealed record DepthwisePairStep(StepHeader Header, string MiddleShape, long InPlane, long OutPlane, int ColumnK, int ColumnPad, int RowK, int RowPad, int Height, int Width,
    long ColumnWeightOffset, long ColumnBiasOffset, long RowWeightOffset, long RowBiasOffset, IntTable InputPlanes) : KernelStep(Header)
{
    public override IEnumerable<IntTable> Tables { get { yield return InputPlanes; } }
}

/// <summary>
/// The downsampling pair fused (k x 1 stride 2 along H, then 1 x k stride 2 along W): <c>Depthwise.PairStride2</c>.
/// InputPlanes[m * ColumnInputs + g] is input g of intermediate plane m.
/// </summary>
internal sealed record PairStride2Step(StepHeader Header, string MiddleShape, int ColumnInputs, long InPlane, long OutPlane, int ColumnK, int ColumnPad, int RowK, int RowPad,
    int RowMultiplier, int InHeight, int InWidth, long ColumnWeightOffset, long ColumnBiasOffset, long RowWeightOffset, long RowBiasOffset,
    IntTable InputPlanes) : KernelStep(Header)
{
    public override IEnumerable<IntTable> Tables { get { yield return InputPlanes; } }
}

/// <summary>The stem's max group pooling: out[c] = max(in[2c], in[2c + 1]), <c>Elementwise.Max</c> per channel.</summary>
internal sealed record MaxGroupPoolStep(StepHeader Header, int Channels, long Plane, IntTable? InputPlanes) : KernelStep(Header)
{
    public override IEnumerable<IntTable> Tables { get { if (InputPlanes != null) yield return InputPlanes; } }
}

/// <summary>A ReLU6 in place that no conv before it could apply: <c>Elementwise.Relu6</c> over the tensor.</summary>
internal sealed record Relu6Step(StepHeader Header, long Elements) : KernelStep(Header);

/// <summary>The residual add, in place on the block's output: <c>Elementwise.Add</c> (per channel when a channel table is involved).</summary>
internal sealed record AddStep(StepHeader Header, int Channels, long Plane, long Elements, IntTable? InputPlanes, IntTable? OutputPlanes) : KernelStep(Header)
{
    public override IEnumerable<IntTable> Tables
    {
        get
        {
            if (InputPlanes != null) yield return InputPlanes;
            if (OutputPlanes != null) yield return OutputPlanes;
        }
    }
}

/// <summary>
/// Dynamic Shift-Max: the squeeze-excite MLP on the channel means (<c>Linear.MatVec</c>,
/// <c>ShiftMax.Coefficients</c>), then each channel mixed with its partner. Out of place, channels
/// in order; in place (<see cref="InPlace"/>), in <see cref="Order"/>: each cycle of the partner
/// map in partner order, PartnerPlanes[i] = -1 marking the cycle's saved first plane.
/// </summary>
internal sealed record ShiftMaxStep(StepHeader Header, int Channels, int Coefficients, int Squeeze, int ShiftGroups, long Plane,
    double InitA0, double InitB0, double InitA1, double InitB1, double Scale,
    long Fc0WeightOffset, long Fc0BiasOffset, long Fc2WeightOffset, long Fc2BiasOffset,
    long MeansOffset, long SqueezeOffset, long CoefficientsOffset, long SavedOffset,
    bool InPlace, int Cycles, IntTable? InputPlanes, IntTable PartnerPlanes, IntTable? Order) : KernelStep(Header)
{
    public override IEnumerable<IntTable> Tables
    {
        get
        {
            if (Order != null) yield return Order;
            yield return PartnerPlanes;
            if (InputPlanes != null) yield return InputPlanes;
        }
    }
}

/// <summary>The head's ReLU6, global average pool and h_swish, per channel (<c>Elementwise.SumRelu6</c>).</summary>
internal sealed record HeadPoolStep(StepHeader Header, int Channels, long Plane, IntTable? InputPlanes) : KernelStep(Header)
{
    public override IEnumerable<IntTable> Tables { get { if (InputPlanes != null) yield return InputPlanes; } }
}

/// <summary>A linear layer of the head (BatchNorm1d folded) with h_swish: <c>Linear.MatVec</c> + <c>Elementwise.AddBiasHSwish</c>.</summary>
internal sealed record ClassifierStep(StepHeader Header, int InFeatures, int OutFeatures, long WeightOffset, long BiasOffset) : KernelStep(Header);
