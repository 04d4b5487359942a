// Stage 5's input: the execution plan, an equatable record of plain values between planning and
// emit. Every decision is in it (which layers fuse, which kernel runs each layer, the order an
// in-place Shift-Max visits its channels, every channel table); Emit/ only prints it. As a pipeline
// model it holds no Compilation, symbols, syntax or arrays: unchanged inputs give an equal plan,
// and the generator's emit step is then skipped (cached).
using MicroNet.Aot.Pipeline;

namespace MicroNet.Aot.Planning;

/// <summary>The generated class: names, the model's constants, the memory plan's table, the steps in order, and their phases on several threads.</summary>
internal sealed record ExecutionPlan(
    ClassInfo Class,
    ModelInfo Model,
    ArenaInfo Arena,
    EquatableArray<Step> Steps,
    EquatableArray<Phase> Phases);

/// <summary>Where the class goes and what it embeds (from the MSBuild item and the model file).</summary>
internal sealed record ClassInfo(string ClassName, string? Namespace, string ResourceName, string SourceFileName, bool Profile,
    double ParallelMinMicroseconds = ParallelPlanner.MinParallelMicroseconds);

/// <summary>The model-level facts the generated header and constants state.</summary>
internal sealed record ModelInfo(
    string Name,
    string? Description,
    int InputChannels,
    int InputHeight,
    int InputWidth,
    int OutputLength,
    long Parameters,
    long StoredFloats,
    long Macs,
    int Layers,
    EquatableArray<double> Mean,
    EquatableArray<double> Std,
    long WeightBytes,
    string WeightXxHash64,
    EquatableArray<string> Labels);

/// <summary>The static memory plan: the arena's size, its lower bound, and every buffer.</summary>
internal sealed record ArenaInfo(long Length, long LowerBound, long WithoutReuse, EquatableArray<BufferInfo> Buffers);

internal sealed record BufferInfo(int Id, string Name, long Offset, long Floats, int FirstStep, int LastStep);

/// <summary>Where a tensor lives for the layer that reads or writes it.</summary>
internal enum Place
{
    /// <summary>The caller's input span (<c>ref x</c>).</summary>
    NetworkInput,
    /// <summary>The caller's output span (<c>ref y</c>).</summary>
    NetworkOutput,
    /// <summary>An arena buffer at <see cref="TensorRef.Offset"/>.</summary>
    Arena,
    /// <summary>The intermediate tensor of a fused pair: on the kernel's stack, never in the arena.</summary>
    Stack,
}

/// <summary>
/// A tensor as one layer sees it: its place, and for a tensor read through a channel shuffle the
/// physical plane of every logical channel (empty: the identity).
/// </summary>
internal sealed record TensorRef(Place Place, long Offset, long Floats, string Shape, EquatableArray<int> ChannelMap)
{
    public bool Mapped => ChannelMap.Count > 0;

    /// <summary>The physical plane of logical channel <paramref name="channel"/>.</summary>
    public int Plane(int channel) => Mapped ? ChannelMap[channel] : channel;
}

/// <summary>A layer of the lowered graph, as the comments name it (the official module path).</summary>
internal sealed record LayerInfo(int Index, string Name, int Block, string Op, long Macs, long Parameters);

/// <summary>A tensor of the weights blob a step reads, at its float offset.</summary>
internal sealed record WeightInfo(string Name, string Shape, long Offset);

/// <summary>A scratch buffer of a step (Shift-Max's means, squeeze, coefficients, saved plane).</summary>
internal sealed record ScratchInfo(string Name, long Offset, long Floats);

/// <summary>A table of ints the generated class holds (planes of channels, an in-place order), named by the step that reads it.</summary>
internal sealed record IntTable(string Name, EquatableArray<int> Values);
