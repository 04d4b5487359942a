// Planning, last part: the memory plan -> the execution plan. Chooses the runtime entry point of
// every layer (the kernel choice), applies the ReLU6 fusion (Fusion.Relu6IntoConvs), orders an
// in-place Shift-Max's channels, and builds every channel table and offset the calls need. The
// result (ExecutionPlan) holds plain values only; Emit/ prints it without deciding anything.
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using MicroNet.Aot.Model;
using MicroNet.Aot.Model.Lowering;
using MicroNet.Aot.Pipeline;

namespace MicroNet.Aot.Planning;

internal sealed class ExecutionPlanner
{
    private readonly MemoryPlan _plan;
    private readonly Dictionary<string, long> _weights = new Dictionary<string, long>(System.StringComparer.Ordinal);
    /// <summary>ReLU6 layer -> the conv that applies it as it stores.</summary>
    private readonly Dictionary<int, int> _fusedRelu;
    private readonly HashSet<int> _convWithRelu;

    private ExecutionPlanner(MemoryPlan plan)
    {
        _plan = plan;
        foreach (var t in plan.Network.Spec.Weights!.Tensors) _weights[t.Name] = t.Offset / 4;
        _fusedRelu = Fusion.Relu6IntoConvs(plan);
        _convWithRelu = new HashSet<int>(_fusedRelu.Values);
    }

    /// <summary>The plan, or null with <paramref name="error"/> set for a layer no runtime kernel runs (the architecture check admits none).</summary>
    public static ExecutionPlan? Build(MemoryPlan plan, ClassInfo target, out string? error) => new ExecutionPlanner(plan).Build(target, out error);

    private ExecutionPlan? Build(ClassInfo target, out string? error)
    {
        error = null;
        var network = _plan.Network;
        var spec = network.Spec;
        var steps = new List<Step>();
        foreach (var planned in _plan.Steps)
        {
            var step = StepFor(planned, out error);
            if (step == null) return null;
            steps.Add(step);
        }
        NameShuffleTables(steps);
        var model = new ModelInfo(spec.Name, spec.Description, spec.InputChannels, spec.InputHeight, spec.InputWidth, network.OutputLength,
            network.Parameters, network.StoredTensors.Sum(t => t.Elements), network.Macs, network.Layers.Count,
            new EquatableArray<double>(spec.Mean.ToArray()), new EquatableArray<double>(spec.Std.ToArray()), spec.Weights!.Bytes, spec.Weights.XxHash64,
            spec.Labels != null ? new EquatableArray<string>(spec.Labels) : EquatableArray<string>.Empty);
        var buffers = _plan.Buffers.Select(b => new BufferInfo(b.Id, b.Name, b.Offset, b.Size, b.FirstStep, b.LastStep)).ToArray();
        var arena = new ArenaInfo(_plan.ArenaLength, _plan.LowerBound, _plan.NaiveSum, new EquatableArray<BufferInfo>(buffers));
        return new ExecutionPlan(target, model, arena, new EquatableArray<Step>(steps.ToArray()), ParallelPlanner.Plan(steps, target.ParallelMinMicroseconds));
    }

    // --- the step of each layer ---------------------------------------------------------------

    private Step? StepFor(PlannedLayer step, out string? error)
    {
        error = null;
        var l = step.Layer;
        if (l.Kind == LayerKind.ChannelShuffle)
            return new NoCodeStep(Info(l), "channel shuffle, " + I(l.Groups) + " groups: no copy, the next layer reads its planes through a channel table");
        if (step.FusedIntoNext)
            return new NoCodeStep(Info(l), l.Describe() + ", runs inside " + MethodName(l, _plan.Steps[l.Index + 1].Layer) + " (a fused pair; its output stays on the stack)");
        if (_fusedRelu.TryGetValue(l.Index, out int conv))
            return new NoCodeStep(Info(l), "ReLU6, applied as it stores by " + MethodName(_plan.Steps[conv]));
        switch (l.Kind)
        {
            case LayerKind.Conv: return step.FusedFrom != null ? Pair(step) : Conv(step, out error);
            case LayerKind.MaxGroupPool:
                return new MaxGroupPoolStep(Header(step), l.Output.C, (long)l.Output.H * l.Output.W, MapTable(l, "InputPlanes", step.Inputs[0]));
            case LayerKind.Relu6: return new Relu6Step(Header(step), l.Output.Elements);
            case LayerKind.Add:
                {
                    bool mapped = step.Inputs[0].ChannelMap != null || step.Inputs[1].ChannelMap != null;
                    return new AddStep(Header(step), l.Output.C, (long)l.Output.H * l.Output.W, l.Output.Elements,
                        mapped ? MapTable(l, "InputPlanes", step.Inputs[0]) : null, mapped ? MapTable(l, "OutputPlanes", step.Inputs[1]) : null);
                }
            case LayerKind.ShiftMax: return ShiftMax(step);
            case LayerKind.HeadPool:
                return new HeadPoolStep(Header(step), l.Input.C, (long)l.Input.H * l.Input.W, MapTable(l, "InputPlanes", step.Inputs[0]));
            case LayerKind.Linear:
                return new ClassifierStep(Header(step), l.Input.C, l.Output.C, _weights[l.Name + ".linear.0.weight"], _weights[l.Name + ".linear.0.bias"]);
            default:
                error = l.Name + ": no step for a " + l.Kind + " layer";
                return null;
        }
    }

    /// <summary>The kernel choice for a conv that runs alone.</summary>
    private Step? Conv(PlannedLayer step, out string? error)
    {
        error = null;
        var l = step.Layer;
        var input = step.Inputs[0];
        int inPerGroup = l.Input.C / l.Groups, outPerGroup = l.Output.C / l.Groups;
        long inPlane = (long)l.Input.H * l.Input.W, outPlane = (long)l.Output.H * l.Output.W;
        long weight = _weights[l.Name + ".weight"], bias = _weights[l.Name + ".bias"];
        // 1x1: the register-blocked group conv
        if (l.KernelH == 1 && l.KernelW == 1 && l.StrideH == 1 && l.StrideW == 1)
            return new PointwiseStep(Header(step), l.Groups, inPerGroup, outPerGroup, outPlane, weight, bias, AllPlanes(l, "InputPlanes", input));
        // the stem's dense k x 1 (groups of 3 RGB inputs; M0 and M1 have 2 and 3 outputs) and depthwise k x 1 with a multiplier of 4+
        if (l.KernelW == 1 && l.StrideW == 1 && (outPerGroup >= 4 || inPerGroup > 1))
            return new ColumnGroupStep(Header(step), l.Groups, inPerGroup, outPerGroup, inPlane, outPlane, l.KernelH, l.PadH, l.StrideH,
                l.Input.H, l.Output.H, l.Output.W, weight, bias, AllPlanes(l, "InputPlanes", input));
        if (inPerGroup == 1 && l.KernelW == 1 && l.StrideW == 1)
            return new DepthwiseColumnsStep(Header(step), inPlane, outPlane, l.KernelH, l.PadH, l.StrideH, l.Input.H, l.Output.H, l.Output.W,
                weight, bias, PlanePerOutput(l, input));
        if (inPerGroup == 1 && l.KernelH == 1 && l.StrideH == 1)
            return new DepthwiseRowsStep(Header(step), inPlane, outPlane, l.KernelW, l.PadW, l.StrideW, l.Output.H, l.Input.W, l.Output.W,
                weight, bias, PlanePerOutput(l, input));
        // the architecture check admits no other conv (a 1 x k conv with several inputs per group)
        error = l.Name + ": no kernel for a " + l.KernelH + "x" + l.KernelW + " convolution with stride " + l.StrideH + "," + l.StrideW;
        return null;
    }

    /// <summary>A fused pair: the stride-1 plane-by-plane kernel or the downsampling kernel.</summary>
    private Step Pair(PlannedLayer step)
    {
        var row = step.Layer;
        var column = step.FusedFrom!.Layer;
        var input = step.FusedFrom.Inputs[0];
        int columnMultiplier = column.Output.C / column.Groups, columnInputs = column.Input.C / column.Groups;
        long inPlane = (long)column.Input.H * column.Input.W, outPlane = (long)row.Output.H * row.Output.W;
        // intermediate plane m reads the input planes of its group (one for a depthwise conv, the RGB planes for the stem's)
        var planes = new int[column.Output.C * columnInputs];
        for (int m = 0; m < column.Output.C; m++)
            for (int g = 0; g < columnInputs; g++) planes[m * columnInputs + g] = input.Plane(m / columnMultiplier * columnInputs + g);
        var table = new IntTable(TableName(row, "InputPlanes"), new EquatableArray<int>(planes));
        long cw = _weights[column.Name + ".weight"], cb = _weights[column.Name + ".bias"], rw = _weights[row.Name + ".weight"], rb = _weights[row.Name + ".bias"];
        var header = Header(step, column, input);
        if (column.StrideH == 2)
            return new PairStride2Step(header, column.Output.ToString(), columnInputs, inPlane, outPlane, column.KernelH, column.PadH, row.KernelW, row.PadW,
                row.Output.C / row.Groups, column.Input.H, column.Input.W, cw, cb, rw, rb, table);
        return new DepthwisePairStep(header, column.Output.ToString(), inPlane, outPlane, column.KernelH, column.PadH, row.KernelW, row.PadW, row.Output.H, row.Output.W,
            cw, cb, rw, rb, table);
    }

    private Step ShiftMax(PlannedLayer step)
    {
        var l = step.Layer;
        var input = step.Inputs[0];
        int c = l.Output.C;
        var partner = l.ShiftIndex();
        bool inPlace = step.Output.Buffer == input.Buffer;
        IntTable? order = null;
        var partnerPlanes = new int[c];
        int cycles = 0;
        if (inPlace)
        {
            // The partner map is a permutation; channel c's plane is read by c and by the channel whose
            // partner c is, so each cycle of the map runs in partner order (every partner is read before
            // it is overwritten; it is also the next plane processed, still in L1), and the cycle's first
            // plane is saved before it is overwritten, for the cycle's last channel (partner plane -1).
            var visit = new int[c];
            var done = new bool[c];
            for (int start = 0, at = 0; start < c; start++)
            {
                if (done[start]) continue;
                cycles++;
                for (int ch = start; !done[ch]; ch = partner[ch], at++)
                {
                    done[ch] = true;
                    visit[at] = ch;
                    partnerPlanes[at] = partner[ch] == start ? -1 : input.Plane(partner[ch]);
                }
            }
            order = new IntTable(TableName(l, "Order"), new EquatableArray<int>(visit));
        }
        else
        {
            for (int i = 0; i < c; i++) partnerPlanes[i] = input.Plane(partner[i]);
        }
        long Temp(int i) => _plan.Buffers[step.Temps[i]].Offset;
        return new ShiftMaxStep(Header(step), c, l.Coefficients, l.Squeeze, l.ShiftGroups, (long)l.Output.H * l.Output.W,
            l.InitA[0], l.InitB[0], l.InitA[1], l.InitB[1], l.ActMax * 2,
            _weights[l.Name + ".fc.0.weight"], _weights[l.Name + ".fc.0.bias"], _weights[l.Name + ".fc.2.weight"], _weights[l.Name + ".fc.2.bias"],
            Temp(0), Temp(1), Temp(2), inPlace ? Temp(3) : -1,
            inPlace, cycles, MapTable(l, "InputPlanes", input), new IntTable(TableName(l, "PartnerPlanes"), new EquatableArray<int>(partnerPlanes)), order);
    }

    /// <summary>
    /// A channel shuffle's note names the table its consumer reads through (following further
    /// shuffles), or says that the shuffles before the consumer compose to the identity.
    /// </summary>
    private void NameShuffleTables(List<Step> steps)
    {
        var tables = new HashSet<string>(steps.OfType<KernelStep>().SelectMany(k => k.Tables).Select(t => t.Name));
        var layers = _plan.Network.Layers;
        for (int i = 0; i < steps.Count; i++)
        {
            if (layers[i].Kind != LayerKind.ChannelShuffle) continue;
            int producer = i, consumer = -1;
            while (true)
            {
                consumer = layers.FindIndex(producer + 1, l => l.Inputs.Contains(producer));
                if (consumer < 0 || layers[consumer].Kind != LayerKind.ChannelShuffle) break;
                producer = consumer;
            }
            if (consumer < 0) continue;
            var reader = _plan.Steps[consumer].FusedIntoNext ? layers[consumer + 1] : layers[consumer];
            string table = TableName(reader, layers[consumer].Kind == LayerKind.Add && layers[consumer].Inputs[1] == producer ? "OutputPlanes" : "InputPlanes");
            string how = tables.Contains(table) ? "read through " + table : "the shuffles before " + layers[consumer].Name + " compose to the identity";
            steps[i] = new NoCodeStep(steps[i].Layer, "channel shuffle, " + I(layers[i].Groups) + " groups: no copy, " + how);
        }
    }

    // --- headers, tensors, tables ---------------------------------------------------------------

    private StepHeader Header(PlannedLayer step, Layer? fusedColumn = null, TensorView? pairInput = null)
    {
        var l = step.Layer;
        var layers = fusedColumn != null ? new[] { Info(fusedColumn), Info(l) } : new[] { Info(l) };
        var inputs = pairInput != null ? new[] { Tensor(pairInput) } : step.Inputs.Select(Tensor).ToArray();
        var stored = (fusedColumn != null ? fusedColumn.Stored.Concat(l.Stored) : l.Stored)
            .Select(t => new WeightInfo(t.Name, ManifestValidator.ShapeText(t.Shape), _weights[t.Name])).ToArray();
        var scratch = step.Temps.Select(t => new ScratchInfo(_plan.Buffers[t].Name, _plan.Buffers[t].Offset, _plan.Buffers[t].Size)).ToArray();
        string method = fusedColumn != null ? MethodName(fusedColumn, l) : MethodName(l);
        return new StepHeader(method, new EquatableArray<LayerInfo>(layers), new EquatableArray<TensorRef>(inputs), Tensor(step.Output),
            new EquatableArray<WeightInfo>(stored), new EquatableArray<ScratchInfo>(scratch), _convWithRelu.Contains(l.Index));
    }

    private static LayerInfo Info(Layer l) => new LayerInfo(l.Index, l.Name, l.Block, l.Describe(), l.Macs, l.Parameters);

    private TensorRef Tensor(TensorView v)
    {
        var map = v.ChannelMap == null ? EquatableArray<int>.Empty : new EquatableArray<int>(v.ChannelMap);
        string shape = v.Shape.ToString();
        switch (v.Buffer)
        {
            case Storage.NetworkInput: return new TensorRef(Place.NetworkInput, 0, v.Shape.Elements, shape, map);
            case Storage.NetworkOutput: return new TensorRef(Place.NetworkOutput, 0, v.Shape.Elements, shape, map);
            case Storage.Fused: return new TensorRef(Place.Stack, 0, v.Shape.Elements, shape, map);
            default:
                var b = _plan.Buffers[v.Buffer];
                return new TensorRef(Place.Arena, b.Offset, b.Size, shape, map);
        }
    }

    /// <summary>The tensor's channel map as a table, or null when it is the identity (the printer then indexes planes directly).</summary>
    private static IntTable? MapTable(Layer l, string what, TensorView v) =>
        v.ChannelMap == null ? null : new IntTable(TableName(l, what), new EquatableArray<int>(v.ChannelMap.ToArray()));

    /// <summary>Every logical channel's plane, identity included: for kernels that take a plane list.</summary>
    private static IntTable AllPlanes(Layer l, string what, TensorView v)
    {
        var planes = new int[v.Shape.C];
        for (int c = 0; c < planes.Length; c++) planes[c] = v.Plane(c);
        return new IntTable(TableName(l, what), new EquatableArray<int>(planes));
    }

    /// <summary>The input plane of every output of a depthwise conv (channel multiplier outputs per input).</summary>
    private static IntTable PlanePerOutput(Layer l, TensorView input)
    {
        int outPerGroup = l.Output.C / l.Groups;
        var planes = new int[l.Output.C];
        for (int oc = 0; oc < planes.Length; oc++) planes[oc] = input.Plane(oc / outPerGroup);
        return new IntTable(TableName(l, "InputPlanes"), new EquatableArray<int>(planes));
    }

    // --- names ------------------------------------------------------------------------------------

    private static string I(long v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>L012_features_1_layers_1: the layer's index and its module path.</summary>
    public static string MethodName(Layer layer) => "L" + layer.Index.ToString("000", CultureInfo.InvariantCulture) + "_" + Identifier(layer.Name);

    private string MethodName(PlannedLayer step) => step.FusedFrom != null ? MethodName(step.FusedFrom.Layer, step.Layer) : MethodName(step.Layer);

    /// <summary>A fused pair's method, after both convs: L011_features_1_layers_0_conv_0_and_conv_1 (the second name from where it differs).</summary>
    public static string MethodName(Layer first, Layer second)
    {
        var a = first.Name.Split('.');
        var b = second.Name.Split('.');
        int common = 0;
        while (common < b.Length - 2 && common < a.Length - 1 && a[common] == b[common]) common++; // keep two segments: "conv_2", not "2"
        return MethodName(first) + "_and_" + Identifier(string.Join(".", b.Skip(common)));
    }

    private static string Identifier(string name) => new string(name.Select(ch => char.IsLetterOrDigit(ch) ? ch : '_').ToArray());

    /// <summary>A table's name: the layer's index (unique in the class) and what it holds.</summary>
    private static string TableName(Layer l, string what) => "L" + l.Index.ToString("000", CultureInfo.InvariantCulture) + "_" + what;
}
