// The lowered layer graph: the network as a flat list of layers in forward order, each with its
// shapes, cost, the checkpoint entries it consumes and the folded tensors it stores in the blob.
// Produced by NetworkBuilder from a ModelSpec; read by the importer, `micronet inspect`, and the
// generator's memory planner and emitter.
using System.Collections.Generic;

namespace MicroNet.Aot.Model.Lowering;

/// <summary>A C x H x W activation shape (batch 1). Vectors (the head) have H = W = 1.</summary>
public readonly struct Shape
{
    public Shape(int c, int h, int w) { C = c; H = h; W = w; }
    public int C { get; }
    public int H { get; }
    public int W { get; }
    public long Elements => (long)C * H * W;
    public override string ToString() => C + "x" + H + "x" + W;
}

public enum LayerKind
{
    /// <summary>Conv2d (no bias) + folded BatchNorm2d: stored as weight and bias.</summary>
    Conv,
    /// <summary>Channel permutation: view (groups, C/groups), transpose, flatten.</summary>
    ChannelShuffle,
    /// <summary>out[c] = max(in[2c], in[2c+1]) (the stem's MaxGroupPooling(2)).</summary>
    MaxGroupPool,
    /// <summary>min(max(x, 0), 6).</summary>
    Relu6,
    /// <summary>Dynamic Shift-Max: squeeze-excite MLP on the channel means, then a max of (two) mixes with the partner channel.</summary>
    ShiftMax,
    /// <summary>Residual add of the block's input.</summary>
    Add,
    /// <summary>The head's ReLU6 -> global average pool -> h_swish.</summary>
    HeadPool,
    /// <summary>Linear + folded BatchNorm1d + h_swish (SwishLinear).</summary>
    Linear,
}

/// <summary>A checkpoint entry the architecture expects (key without any "module." prefix).</summary>
public sealed class CheckpointTensor
{
    public CheckpointTensor(string key, int[] shape, bool optional)
    {
        Key = key; Shape = shape; Optional = optional;
    }
    public string Key { get; }
    public int[] Shape { get; }
    /// <summary>BatchNorm's num_batches_tracked: may be absent (PyTorch adds it), never used.</summary>
    public bool Optional { get; }
}

public enum StoredRole { Weight, Bias }

/// <summary>
/// A tensor of the weights blob and how it is made from checkpoint entries:
/// weight' = weight * scale (per output channel), bias' = (bias - mean) * scale + beta,
/// scale = gamma / sqrt(var + eps); without a BatchNorm the entries are copied.
/// </summary>
public sealed class StoredTensor
{
    public StoredTensor(string name, int[] shape, StoredRole role, string weightKey, string? biasKey, string? batchNormPrefix)
    {
        Name = name; Shape = shape; Role = role; WeightKey = weightKey; BiasKey = biasKey; BatchNormPrefix = batchNormPrefix;
    }
    public string Name { get; }
    public int[] Shape { get; }
    public StoredRole Role { get; }
    /// <summary>The layer's weight entry (for a bias: the weight whose output channels it follows).</summary>
    public string WeightKey { get; }
    /// <summary>The layer's own bias entry, or null (convs have none).</summary>
    public string? BiasKey { get; }
    public string? BatchNormPrefix { get; }

    public long Elements
    {
        get
        {
            long n = 1;
            foreach (int d in Shape) n *= d;
            return n;
        }
    }
}

public sealed class Layer
{
    public int Index { get; internal set; }
    /// <summary>The official module path ("features.3.layers.0.conv.0"): the model's own vocabulary.</summary>
    public string Name { get; internal set; } = "";
    public LayerKind Kind { get; internal set; }
    /// <summary>Index of the block (features.N) the layer belongs to; -1 for the head.</summary>
    public int Block { get; internal set; }
    public Shape Input { get; internal set; }
    public Shape Output { get; internal set; }
    /// <summary>Indices of the layers whose outputs this layer reads (-1: the network input).</summary>
    public int[] Inputs { get; internal set; } = new int[0];

    // Conv
    public int KernelH { get; internal set; }
    public int KernelW { get; internal set; }
    public int StrideH { get; internal set; }
    public int StrideW { get; internal set; }
    public int PadH { get; internal set; }
    public int PadW { get; internal set; }
    /// <summary>Conv groups; shuffle groups; channels per group of MaxGroupPool.</summary>
    public int Groups { get; internal set; }

    // ShiftMax
    public int Squeeze { get; internal set; }
    /// <summary>4 (two mixes and a max) or 2 (one mix).</summary>
    public int Coefficients { get; internal set; }
    /// <summary>G of the partner-channel map (already divided for the "expansion" case).</summary>
    public int ShiftGroups { get; internal set; }
    public double[] InitA { get; internal set; } = new double[2];
    public double[] InitB { get; internal set; } = new double[2];
    public double ActMax { get; internal set; }

    /// <summary>Trainable parameters as PyTorch counts them (BatchNorm affine included).</summary>
    public long Parameters { get; internal set; }
    /// <summary>Multiply-accumulates of the Conv2d / Linear modules (elementwise work not counted).</summary>
    public long Macs { get; internal set; }
    public List<CheckpointTensor> Checkpoint { get; } = new List<CheckpointTensor>();
    public List<StoredTensor> Stored { get; } = new List<StoredTensor>();

    /// <summary>A short description of the operation for tables and generated comments.</summary>
    public string Describe()
    {
        switch (Kind)
        {
            case LayerKind.Conv:
                string kind = Groups == 1 ? "dense" : Groups == Input.C ? "depthwise" : "groups " + Groups;
                return "conv " + KernelH + "x" + KernelW + " stride " + StrideH + "," + StrideW + " " + kind + " +BN";
            case LayerKind.ChannelShuffle: return "channel shuffle, " + Groups + " groups";
            case LayerKind.MaxGroupPool: return "max group pooling, " + Groups + " channels";
            case LayerKind.Relu6: return "ReLU6";
            case LayerKind.ShiftMax:
                return "dynamic shift-max, " + Coefficients + " coeffs, squeeze " + Squeeze + ", shift groups " + ShiftGroups;
            case LayerKind.Add: return "residual add";
            case LayerKind.HeadPool: return "ReLU6, global avg pool, h_swish";
            case LayerKind.Linear: return "linear +BN1d, h_swish";
            default: return Kind.ToString();
        }
    }

    /// <summary>
    /// The Shift-Max partner map: channels viewed as (G, C/G), groups rotated by one, then the
    /// channels inside each group rotated by one. Output channel c mixes input c with input map[c].
    /// </summary>
    public int[] ShiftIndex()
    {
        int c = Output.C, g = ShiftGroups, gc = c / g;
        var map = new int[c];
        for (int i = 0; i < g; i++)
            for (int j = 0; j < gc; j++)
                map[i * gc + j] = ((i + 1) % g) * gc + (j + 1) % gc;
        return map;
    }

    /// <summary>The shuffle as a gather: output channel o reads input channel map[o].</summary>
    public int[] ShuffleSource()
    {
        int c = Output.C, g = Groups, perGroup = c / g;
        var map = new int[c];
        for (int i = 0; i < g; i++)
            for (int j = 0; j < perGroup; j++)
                map[j * g + i] = i * perGroup + j;
        return map;
    }
}

public sealed class Network
{
    public Network(ModelSpec spec, List<Layer> layers)
    {
        Spec = spec; Layers = layers;
    }
    public ModelSpec Spec { get; }
    public List<Layer> Layers { get; }
    public Shape InputShape => new Shape(Spec.InputChannels, Spec.InputHeight, Spec.InputWidth);
    public int OutputLength => Spec.Classes;

    public long Parameters
    {
        get { long n = 0; foreach (var l in Layers) n += l.Parameters; return n; }
    }

    public long Macs
    {
        get { long n = 0; foreach (var l in Layers) n += l.Macs; return n; }
    }

    public IEnumerable<CheckpointTensor> CheckpointTensors
    {
        get { foreach (var l in Layers) foreach (var t in l.Checkpoint) yield return t; }
    }

    public IEnumerable<StoredTensor> StoredTensors
    {
        get { foreach (var l in Layers) foreach (var t in l.Stored) yield return t; }
    }
}
