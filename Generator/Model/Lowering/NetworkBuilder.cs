// Lowers a ModelSpec (the official configuration vocabulary) to the layer graph, mirroring the
// module tree of the authors' MicroNet (backbone/micronet.py) branch by branch: which block kind a
// row makes, which activation and which shuffles each slot gets, and the Sequential index of every
// slot (it is part of the checkpoint key names). Structural problems are reported as issues with
// the JSON path of the value at fault; the builder never throws.
using System.Collections.Generic;

namespace MicroNet.Aot.Model.Lowering;

public sealed class NetworkBuilder
{
    private readonly ModelSpec _spec;
    private readonly List<Layer> _layers = new List<Layer>();
    private readonly List<ModelIssue> _issues = new List<ModelIssue>();
    private int _block;
    private string _path = "";

    private NetworkBuilder(ModelSpec spec) { _spec = spec; }

    /// <summary>Builds the graph; returns null (and the reasons) when the architecture cannot be built.</summary>
    public static Network? Build(ModelSpec spec, out List<ModelIssue> issues)
    {
        var b = new NetworkBuilder(spec);
        b.BuildAll();
        issues = b._issues;
        return issues.Count == 0 ? new Network(spec, b._layers) : null;
    }

    private void Report(string path, string message)
    {
        // one message per value at fault: a bad group count breaks several layers the same way
        foreach (var existing in _issues) if (existing.Path == path) return;
        _issues.Add(new ModelIssue(IssueIds.InvalidArchitecture, message, path, _spec.Locate(path)));
    }

    /// <summary>Checks that <paramref name="groups"/> divides the channel count; returns a usable divisor.</summary>
    private int CheckGroups(int channels, int groups, string path, string what)
    {
        if (groups <= 0)
        {
            Report(path, what + ": groups must be at least 1 here, found " + groups);
            return 1;
        }
        if (channels % groups != 0)
        {
            Report(path, what + ": " + channels + " channels are not divisible by " + groups + " groups");
            return 1;
        }
        return groups;
    }

    private int Last => _layers.Count - 1;

    private Layer Add(Layer layer, params int[] inputs)
    {
        layer.Index = _layers.Count;
        layer.Block = _block;
        layer.Inputs = inputs.Length == 0 ? new[] { Last } : inputs;
        _layers.Add(layer);
        return layer;
    }

    private Shape Current => _layers.Count == 0 ? new Shape(_spec.InputChannels, _spec.InputHeight, _spec.InputWidth) : _layers[Last].Output;

    // --- layer makers --------------------------------------------------------------------------

    private void Conv(string convName, string bnName, int outC, int kh, int kw, int sh, int sw, int groups, string path)
    {
        var input = Current;
        int ph = kh / 2, pw = kw / 2;
        int g = groups;
        if (groups <= 0)
        {
            Report(path, convName + ": groups must be at least 1, found " + groups);
            g = 1;
        }
        else if (input.C % groups != 0 || outC % groups != 0)
        {
            Report(path, convName + ": " + input.C + " input and " + outC + " output channels must both be divisible by " + groups + " groups");
            g = 1;
        }
        int oh = (input.H + 2 * ph - kh) / sh + 1;
        int ow = (input.W + 2 * pw - kw) / sw + 1;
        if (oh < 1 || ow < 1)
        {
            Report(path, convName + ": the feature map (" + input.H + "x" + input.W + ") is too small for this kernel and stride");
            oh = ow = 1;
        }
        var layer = new Layer
        {
            Name = convName, Kind = LayerKind.Conv, Input = input, Output = new Shape(outC, oh, ow),
            KernelH = kh, KernelW = kw, StrideH = sh, StrideW = sw, PadH = ph, PadW = pw, Groups = g,
        };
        int inPerGroup = input.C / g;
        var wShape = new[] { outC, inPerGroup, kh, kw };
        layer.Parameters = (long)outC * inPerGroup * kh * kw + 2L * outC;
        layer.Macs = (long)outC * oh * ow * inPerGroup * kh * kw;
        layer.Checkpoint.Add(new CheckpointTensor(convName + ".weight", wShape, false));
        AddBatchNorm(layer, bnName, outC);
        layer.Stored.Add(new StoredTensor(convName + ".weight", wShape, StoredRole.Weight, convName + ".weight", null, bnName));
        layer.Stored.Add(new StoredTensor(convName + ".bias", new[] { outC }, StoredRole.Bias, convName + ".weight", null, bnName));
        Add(layer);
    }

    private static void AddBatchNorm(Layer layer, string bn, int channels)
    {
        foreach (var leaf in new[] { "weight", "bias", "running_mean", "running_var" })
            layer.Checkpoint.Add(new CheckpointTensor(bn + "." + leaf, new[] { channels }, false));
        layer.Checkpoint.Add(new CheckpointTensor(bn + ".num_batches_tracked", new int[0], true));
    }

    private void Shuffle(string name, int groups, string path)
    {
        var s = Current;
        int g = CheckGroups(s.C, groups, path, name + " (channel shuffle)");
        Add(new Layer { Name = name, Kind = LayerKind.ChannelShuffle, Input = s, Output = s, Groups = g });
    }

    private void Relu6(string name)
    {
        var s = Current;
        Add(new Layer { Name = name, Kind = LayerKind.Relu6, Input = s, Output = s });
    }

    /// <summary>MobileNet's make_divisible(v, 4), then at least 4: the Shift-Max squeeze width.</summary>
    public static int SqueezeChannels(int channels, int reduction)
    {
        int v = channels / reduction;
        int rounded = System.Math.Max(4, (int)(v + 2.0) / 4 * 4);
        if (rounded < 0.9 * v) rounded += 4;
        return System.Math.Max(rounded, 4);
    }

    private void ShiftMax(string name, bool fourWay, double[] initA, double[] initB, int groups, bool expansion, int reduction, string path)
    {
        var s = Current;
        int c = s.C;
        int g = groups;
        if (g != 1 && expansion)
        {
            if (g <= 0 || c % g != 0) { Report(path, name + ": " + c + " channels are not divisible by " + g); g = 1; }
            else g = c / g;
        }
        g = CheckGroups(c, g, path, name + " (shift-max partner map)");
        int e = fourWay ? 4 : 2;
        int squeeze = SqueezeChannels(c, System.Math.Max(reduction, 1));
        if (reduction < 1) Report(path, name + ": the squeeze reduction works out to " + reduction + " (must be at least 1)");
        var layer = new Layer
        {
            Name = name, Kind = LayerKind.ShiftMax, Input = s, Output = s, Squeeze = squeeze, Coefficients = e,
            ShiftGroups = g, InitA = initA, InitB = initB, ActMax = _spec.ActMax,
        };
        layer.Parameters = (long)c * squeeze + squeeze + (long)squeeze * c * e + (long)c * e;
        layer.Macs = (long)c * squeeze + (long)squeeze * c * e;
        foreach (var (fc, inF, outF) in new[] { (".fc.0", c, squeeze), (".fc.2", squeeze, c * e) })
        {
            layer.Checkpoint.Add(new CheckpointTensor(name + fc + ".weight", new[] { outF, inF }, false));
            layer.Checkpoint.Add(new CheckpointTensor(name + fc + ".bias", new[] { outF }, false));
            layer.Stored.Add(new StoredTensor(name + fc + ".weight", new[] { outF, inF }, StoredRole.Weight, name + fc + ".weight", name + fc + ".bias", null));
            layer.Stored.Add(new StoredTensor(name + fc + ".bias", new[] { outF }, StoredRole.Bias, name + fc + ".weight", name + fc + ".bias", null));
        }
        Add(layer);
    }

    private void Linear(string prefix, int outF)
    {
        var s = Current;
        int inF = s.C;
        var layer = new Layer { Name = prefix, Kind = LayerKind.Linear, Input = s, Output = new Shape(outF, 1, 1) };
        layer.Parameters = (long)inF * outF + outF + 2L * outF;
        layer.Macs = (long)inF * outF;
        string lin = prefix + ".linear.0", bn = prefix + ".linear.1";
        layer.Checkpoint.Add(new CheckpointTensor(lin + ".weight", new[] { outF, inF }, false));
        layer.Checkpoint.Add(new CheckpointTensor(lin + ".bias", new[] { outF }, false));
        AddBatchNorm(layer, bn, outF);
        layer.Stored.Add(new StoredTensor(lin + ".weight", new[] { outF, inF }, StoredRole.Weight, lin + ".weight", lin + ".bias", bn));
        layer.Stored.Add(new StoredTensor(lin + ".bias", new[] { outF }, StoredRole.Bias, lin + ".weight", lin + ".bias", bn));
        Add(layer);
    }

    // --- the network ---------------------------------------------------------------------------

    private void BuildAll()
    {
        Stem();
        int channels = _spec.StemChannels;
        for (int row = 0; row < _spec.Stages.Count; row++)
        {
            var r = _spec.Stages[row];
            for (int i = 0; i < r.N; i++)
            {
                _block++;
                _path = "stages[" + row + "]";
                Block(channels, r, i == 0 ? r.S : 1);
                channels = r.C;
            }
        }
        _block = -1;
        _path = "head";
        if (_layers.Count > 0 && Current.C != channels)
            Report("stages[" + (_spec.Stages.Count - 1) + "].c",
                "the last block produces " + Current.C + " channels but the row says c = " + channels + " (the head is built for c)");
        var s = Current;
        Add(new Layer { Name = "avgpool", Kind = LayerKind.HeadPool, Input = s, Output = new Shape(s.C, 1, 1) });
        Linear("classifier.0", _spec.HeadChannels);
        Linear("classifier.2", _spec.Classes);
    }

    private void Stem()
    {
        _block = 0;
        _path = "stem";
        int g1 = _spec.StemGroup1, g2 = _spec.StemGroup2;
        const string p = "features.0.stem.0.conv";
        Conv(p + ".0", p + ".1", g1, 3, 1, 2, 1, 1, "stem.groups[0]");
        Conv(p + ".2", p + ".3", g1 * g2, 1, 3, 1, 2, g1, "stem.groups");
        Shuffle(p + ".4", g1, "stem.groups[0]");
        if (g1 * g2 == 2 * _spec.StemChannels)
        {
            var s = Current;
            Add(new Layer { Name = "features.0.stem.1", Kind = LayerKind.MaxGroupPool, Input = s, Output = new Shape(s.C / 2, s.H, s.W), Groups = 2 });
        }
        else
        {
            if (g1 * g2 != _spec.StemChannels)
                Report("stem", "the stem makes groups[0]*groups[1] = " + (g1 * g2) + " channels; it must equal channels (" +
                    _spec.StemChannels + ", then ReLU6) or twice channels (then max group pooling)");
            Relu6("features.0.stem.1");
        }
    }

    private void Block(int inp, StageRow r, int stride)
    {
        int first = Last;
        string name = "features." + _block + ".layers.";
        int oup = r.C;
        int reduction = _spec.Reduction * r.R;
        int hidden1 = inp * r.C1;
        int hidden2 = hidden1 * r.C2;
        var ab3A = new[] { _spec.InitABlock3[0], 0.0 };
        var ab3B = new[] { _spec.InitABlock3[1], 0.0 };
        string P(string field) => _path + "." + field;
        bool shuffle = _spec.Shuffle;

        if (r.G1 == 0)
        {
            // Kind A: depthwise-separable expansion inp -> inp*c1 -> inp*c1*c2, activation, shuffles,
            // 1x1 group conv to c, activation, shuffles.
            Conv(name + "0.conv.0", name + "0.conv.1", hidden1, r.Ks, 1, stride, 1, inp, P("c1"));
            Conv(name + "0.conv.2", name + "0.conv.3", hidden2, 1, r.Ks, 1, stride, hidden1, P("c2"));
            if (r.Y2 > 0) ShiftMax(name + "1", r.Y2 == 2, _spec.InitA, _spec.InitB, r.G2, false, reduction, P("g2"));
            else Relu6(name + "1");
            if (shuffle) Shuffle(name + "2", r.G2, P("g2"));
            if (shuffle && r.Y2 != 0) Shuffle(name + "3", hidden2 / 2, P("c2"));
            Conv(name + "4.conv.0", name + "4.conv.1", oup, 1, 1, 1, 1, r.G3, P("g3"));
            if (r.Y3 > 0) ShiftMax(name + "5", false, ab3A, ab3B, r.G4, false, reduction / 2, P("g4"));
            if (shuffle) Shuffle(name + "6", r.G4, P("g4"));
            if (shuffle && oup % 2 == 0 && r.Y3 != 0) Shuffle(name + "7", oup / 2, P("c"));
        }
        else if (r.G4 == 0)
        {
            // Kind C (the last row of a table): one 1x1 group conv inp -> inp*c1*c2 and its activation.
            if (hidden2 != oup)
                Report(P("c"), "a row with g4 = 0 outputs inp*c1*c2 = " + inp + "*" + r.C1 + "*" + r.C2 + " = " + hidden2 +
                    " channels, so c must be " + hidden2 + ", found " + oup);
            Conv(name + "0.conv.0", name + "0.conv.1", hidden2, 1, 1, 1, 1, r.G1, P("g1"));
            if (r.Y3 > 0) ShiftMax(name + "1", false, ab3A, ab3B, r.G2, false, reduction, P("g2"));
        }
        else
        {
            // Kind B: 1x1 group expansion, activation, shuffle, depthwise separable k x 1 / 1 x k,
            // activation, shuffle, 1x1 group projection, activation, shuffles.
            Conv(name + "0.conv.0", name + "0.conv.1", hidden2, 1, 1, 1, 1, r.G1, P("g1"));
            if (r.Y1 > 0) ShiftMax(name + "1", r.Y1 == 2, _spec.InitA, _spec.InitB, r.G2, false, reduction, P("g2"));
            else Relu6(name + "1");
            if (shuffle) Shuffle(name + "2", r.G2, P("g2"));
            Conv(name + "3.conv.0", name + "3.conv.1", hidden2, r.Ks, 1, stride, 1, hidden2, P("ks"));
            Conv(name + "3.conv.2", name + "3.conv.3", hidden2, 1, r.Ks, 1, stride, hidden2, P("ks"));
            if (r.Y2 > 0) ShiftMax(name + "5", r.Y2 == 2, _spec.InitA, _spec.InitB, r.G2, true, reduction, P("g2"));
            else Relu6(name + "5");
            // exactly the authors' condition, whose else-branch ignores SHUFFLE: with shuffle off, a
            // row with y1 or y2 set still shuffles by hidden/2 here
            if (shuffle && r.Y1 != 0 && r.Y2 != 0) Shuffle(name + "6", hidden2 / 4, P("c2"));
            else if (!(r.Y1 == 0 && r.Y2 == 0)) Shuffle(name + "6", hidden2 / 2, P("c2"));
            Conv(name + "7.conv.0", name + "7.conv.1", oup, 1, 1, 1, 1, r.G3, P("g3"));
            if (r.Y3 > 0) ShiftMax(name + "8", false, ab3A, ab3B, r.G4, false, oup < hidden2 ? reduction / 2 : reduction, P("g4"));
            if (shuffle) Shuffle(name + "9", r.G4, P("g4"));
            if (shuffle && r.Y3 != 0) Shuffle(name + "10", oup / 2, P("c"));
        }

        if (stride == 1 && inp == oup)
        {
            var s = Current;
            if (s.C != inp) return; // reported above (kind C width)
            // the residual adds the block's input to its output: both whole shapes must agree (an even
            // ks changes H x W at stride 1; PyTorch refuses such an add at run time)
            var blockInput = first >= 0 ? _layers[first].Output : new Shape(_spec.InputChannels, _spec.InputHeight, _spec.InputWidth);
            if (blockInput.H != s.H || blockInput.W != s.W)
            {
                Report(P("ks"), "the row adds its input (" + blockInput + ") to its output (" + s + "), which differ in size: ks = " + r.Ks +
                    " does not keep H x W at stride 1 (use an odd ks)");
                return;
            }
            Add(new Layer { Name = "features." + _block, Kind = LayerKind.Add, Input = s, Output = s }, first, Last);
        }
    }
}
