// Stages 3-5 for an int8 model (format micronet/2): the int8 memory plan and the int8 execution
// plan, decided here and only printed by Emit/Int8Emitter.cs. Every tensor is int8 NCHW in one byte
// arena; channel shuffles materialize nothing (the next layer reads its planes through a table);
// buffers whose lifetimes do not overlap share space (first fit). The arithmetic of every step is
// docs/int8.md's; the constants that need only the model file (zero points, inverse scales, the
// add's and Shift-Max's multipliers, ReLU6's clamp) are computed here, at generation time, and the
// per-channel conv multipliers (which need the weight scales in the blob) when the weights open.
using System;
using System.Collections.Generic;
using System.Linq;
using MicroNet.Aot.Model;
using MicroNet.Aot.Model.Lowering;
using MicroNet.Aot.Pipeline;

namespace MicroNet.Aot.Planning;

internal enum Int8Op { QuantizeInput, Conv, Clamp, MaxGroupPool, Add, ShiftMax, HeadPool, Linear }

/// <summary>
/// One int8 step, as plain values. <see cref="Ints"/> and <see cref="Floats"/> hold the op's
/// constants in the order its printer (Emit/Int8Emitter.cs) documents; offsets are bytes (arena or
/// blob), -1 for the network's own input or output span.
/// </summary>
internal sealed record Int8Step(
    LayerInfo Layer,
    Int8Op Op,
    string Method,
    string InputText,
    string OutputText,
    long InputOffset,
    long SecondInputOffset,
    long OutputOffset,
    string? Planes,
    string? SecondPlanes,
    EquatableArray<long> Ints,
    EquatableArray<float> Floats,
    EquatableArray<long> WeightOffsets);

/// <summary>A per-channel multiplier block computed when the weights open: its conv, where its scales lie, its place in the table.</summary>
internal sealed record Int8Multipliers(string Layer, float InScale, long WeightScaleOffset, float OutScale, int Count, int TableIndex);

internal sealed record Int8Buffer(int Id, string Name, long Offset, long Bytes, int FirstStep, int LastStep);

internal sealed record Int8Plan(
    ClassInfo Class,
    ModelInfo Model,
    long ArenaBytes,
    long WithoutReuseBytes,
    EquatableArray<Int8Buffer> Buffers,
    EquatableArray<Int8Step> Steps,
    EquatableArray<IntTable> Tables,
    EquatableArray<Int8Multipliers> Multipliers,
    int MultiplierCount,
    float InputScale,
    int InputZero,
    int ScratchFloats,
    int IdentityLength);

internal static class Int8Planner
{
    public const int AlignmentBytes = 64;

    private sealed class View
    {
        public View(int buffer, int[]? map) { Buffer = buffer; Map = map; }
        public int Buffer { get; }
        /// <summary>Physical plane of each logical channel (null: the identity).</summary>
        public int[]? Map { get; }
        public int Plane(int c) => Map == null ? c : Map[c];
    }

    private sealed class Buf
    {
        public string Name = "";
        public long Bytes;
        public int First, Last;
        public long Offset;
    }

    public static Int8Plan? Plan(Network network, ModelSpec spec, ClassInfo target, out string? error)
    {
        error = null;
        var q = spec.Quantization!;
        var offsets = spec.Weights!.Tensors.ToDictionary(t => t.Name, t => t.Offset);
        var layers = network.Layers;
        var buffers = new List<Buf>();
        var views = new View[layers.Count];
        var steps = new List<Int8Step>();
        var tables = new List<IntTable>();
        var multipliers = new List<Int8Multipliers>();
        int multiplierCount = 0, scratchFloats = 0;

        int NewBuffer(string name, long bytes, int step)
        {
            buffers.Add(new Buf { Name = name, Bytes = bytes, First = step, Last = step });
            return buffers.Count - 1;
        }
        var inputShape = network.InputShape;
        int inputBuffer = NewBuffer("the quantized input", inputShape.Elements, 0);
        var inputView = new View(inputBuffer, null);
        View ViewOf(int source) => source < 0 ? inputView : views[source];
        TensorQuant QuantOf(int source) => source < 0 ? q.Input : q.Layers[source].Output;
        string Text(Shape s, TensorQuant t) => s.ToString() + " int8 (scale " + G9(t.Scale) + ", zero " + t.Zero.ToString(System.Globalization.CultureInfo.InvariantCulture) + ")";
        string Method(Layer l) => "L" + (l.Index + 1).ToString("000", System.Globalization.CultureInfo.InvariantCulture) + "_" + new string(l.Name.Select(ch => char.IsLetterOrDigit(ch) ? ch : '_').ToArray());
        string? Table(string name, View v, int channels)
        {
            if (v.Map == null) return null;
            tables.Add(new IntTable(name, new EquatableArray<int>(Enumerable.Range(0, channels).Select(v.Plane).ToArray())));
            return name;
        }
        LayerInfo Info(Layer l) => new LayerInfo(l.Index, l.Name, l.Block, l.Describe(), l.Macs, l.Parameters);
        long W(string name)
        {
            if (!offsets.TryGetValue(name, out long o)) throw new InvalidOperationException("the manifest has no tensor " + name);
            return o;
        }

        steps.Add(new Int8Step(new LayerInfo(-1, "input", -2, "quantize the float input", 0, 0), Int8Op.QuantizeInput, "L000_QuantizeInput",
            inputShape + " float32 (the caller's input)", Text(inputShape, q.Input), -1, -1, inputBuffer, null, null,
            new EquatableArray<long>(new long[] { inputShape.Elements, q.Input.Zero }),
            new EquatableArray<float>(new[] { (float)(1.0 / q.Input.Scale) }), EquatableArray<long>.Empty));

        for (int i = 0; i < layers.Count; i++)
        {
            var l = layers[i];
            int step = steps.Count;
            bool last = i == layers.Count - 1;
            var inView = ViewOf(l.Inputs[0]);
            var inQ = QuantOf(l.Inputs[0]);
            foreach (int source in l.Inputs) buffers[ViewOf(source).Buffer].Last = step;
            if (l.Kind == LayerKind.ChannelShuffle)
            {
                var src = l.ShuffleSource();
                views[i] = new View(inView.Buffer, Enumerable.Range(0, l.Output.C).Select(o => inView.Plane(src[o])).ToArray());
                continue;
            }
            if (last && l.Kind != LayerKind.Linear) { error = "the last layer of an int8 network must be the classifier"; return null; }
            var outQ = last ? default : q.Layers[i].Output;
            int outBuffer = last ? -1 : NewBuffer(l.Name + " output", l.Output.Elements, step);
            if (!last) views[i] = new View(outBuffer, null);
            string method = Method(l);
            string inText = Text(l.Input, inQ), outText = last ? l.Output.C + " float32 (the caller's output)" : Text(l.Output, outQ);
            string? planes = Table(method + "_planes", inView, l.Input.C);
            int plane = l.Input.H * l.Input.W;
            Int8Step Step(Int8Op op, string? second, long secondOffset, long[] ints, float[] floats, long[] weights) =>
                new Int8Step(Info(l), op, method, inText, outText, inView.Buffer, secondOffset, outBuffer, planes, second,
                    new EquatableArray<long>(ints), new EquatableArray<float>(floats), new EquatableArray<long>(weights));
            switch (l.Kind)
            {
                case LayerKind.Conv:
                {
                    // Ints: inH inW outC outH outW inPerGroup outPerGroup kh kw sh sw ph pw inZero outZero tableIndex
                    int count = l.Output.C;
                    multipliers.Add(new Int8Multipliers(l.Name, inQ.Scale, W(l.Name + Int8Layout.WeightScaleSuffix), outQ.Scale, count, multiplierCount));
                    steps.Add(Step(Int8Op.Conv, null, -1, new long[]
                    {
                        l.Input.H, l.Input.W, l.Output.C, l.Output.H, l.Output.W, l.Input.C / l.Groups, l.Output.C / l.Groups,
                        l.KernelH, l.KernelW, l.StrideH, l.StrideW, l.PadH, l.PadW, inQ.Zero, outQ.Zero, multiplierCount,
                    }, new float[0], new[] { W(l.Name + ".weight"), W(l.Name + ".bias") }));
                    multiplierCount += count;
                    break;
                }
                case LayerKind.Relu6:
                {
                    // Ints: channels plane lo hi
                    long six = (long)Int8Scheme.RoundAway(6.0 / inQ.Scale);
                    steps.Add(Step(Int8Op.Clamp, null, -1, new long[] { l.Input.C, plane, Math.Max(inQ.Zero, -128), Math.Min(127, inQ.Zero + six) }, new float[0], new long[0]));
                    break;
                }
                case LayerKind.MaxGroupPool:
                    // Ints: output channels, plane, channels per group
                    steps.Add(Step(Int8Op.MaxGroupPool, null, -1, new long[] { l.Output.C, plane, l.Groups }, new float[0], new long[0]));
                    break;
                case LayerKind.Add:
                {
                    // Ints: channels plane aZero aMult aShift bZero bMult bShift outMult outShift outZero
                    var bView = ViewOf(l.Inputs[1]);
                    var bQ = QuantOf(l.Inputs[1]);
                    string? second = Table(method + "_planes_b", bView, l.Input.C);
                    var m = Int8Scheme.AddMultipliers(inQ.Scale, bQ.Scale, outQ.Scale);
                    var (ma, sa) = Multiplier(m.A);
                    var (mb, sb) = Multiplier(m.B);
                    var (mo, so) = Multiplier(m.Output);
                    inText += " + " + Text(l.Input, bQ);
                    steps.Add(Step(Int8Op.Add, second, bView.Buffer, new long[] { l.Input.C, plane, inQ.Zero, ma, sa, bQ.Zero, mb, sb, mo, so, outQ.Zero }, new float[0], new long[0]));
                    break;
                }
                case LayerKind.ShiftMax:
                {
                    // Ints: channels plane squeeze coefficients bits inZero mult shift outZero; Floats: meanScale coefficientScale initA0 initB0 initA1 initB1
                    int bits = q.Layers[i].CoefficientBits;
                    var (mq, ms) = Multiplier(Int8Scheme.ShiftMaxMultiplier(inQ, bits, outQ));
                    var partner = l.ShiftIndex();
                    tables.Add(new IntTable(method + "_partner", new EquatableArray<int>(Enumerable.Range(0, l.Input.C).Select(c => inView.Plane(partner[c])).ToArray())));
                    int e = l.Coefficients;
                    scratchFloats = Math.Max(scratchFloats, l.Input.C + l.Squeeze + e * l.Input.C);
                    steps.Add(Step(Int8Op.ShiftMax, method + "_partner", -1, new long[] { l.Input.C, plane, l.Squeeze, e, bits, inQ.Zero, mq, ms, outQ.Zero },
                        new[]
                        {
                            (float)((double)inQ.Scale / plane), (float)(2 * l.ActMax), (float)l.InitA[0], (float)l.InitB[0],
                            e == 4 ? (float)l.InitA[1] : 0f, e == 4 ? (float)l.InitB[1] : 0f,
                        },
                        new[]
                        {
                            W(l.Name + ".fc.0.weight"), W(l.Name + ".fc.0" + Int8Layout.WeightScaleSuffix), W(l.Name + ".fc.0.bias"),
                            W(l.Name + ".fc.2.weight"), W(l.Name + ".fc.2" + Int8Layout.WeightScaleSuffix), W(l.Name + ".fc.2.bias"),
                        }));
                    break;
                }
                case LayerKind.HeadPool:
                {
                    // Ints: channels plane inZero six outZero; Floats: meanScale outInverseScale
                    long six = (long)Int8Scheme.RoundAway(6.0 / inQ.Scale);
                    steps.Add(Step(Int8Op.HeadPool, null, -1, new long[] { l.Input.C, plane, inQ.Zero, six, outQ.Zero },
                        new[] { (float)((double)inQ.Scale / plane), (float)(1.0 / outQ.Scale) }, new long[0]));
                    break;
                }
                case LayerKind.Linear:
                {
                    // Ints: in out inZero outZero last; Floats: inScale outInverseScale
                    if (inView.Map != null) { error = l.Name + ": a linear layer cannot read through a channel map"; return null; }
                    steps.Add(Step(Int8Op.Linear, null, -1, new long[] { l.Input.C, l.Output.C, inQ.Zero, last ? 0 : outQ.Zero, last ? 1 : 0 },
                        new[] { inQ.Scale, last ? 0f : (float)(1.0 / outQ.Scale) },
                        new[] { W(l.Name + ".linear.0.weight"), W(l.Name + ".linear.0.bias"), W(l.Name + ".linear.0" + Int8Layout.WeightScaleSuffix) }));
                    break;
                }
                default:
                    error = l.Name + ": no int8 step for " + l.Kind;
                    return null;
            }
        }

        // the arena: first fit by production order, buffers whose step ranges overlap never share bytes
        var placed = new List<Buf>();
        long arena = 0, naive = 0;
        foreach (var b in buffers)
        {
            long size = (b.Bytes + AlignmentBytes - 1) / AlignmentBytes * AlignmentBytes;
            naive += size;
            var live = placed.Where(p => p.First <= b.Last && b.First <= p.Last).OrderBy(p => p.Offset).ToList();
            long offset = 0;
            foreach (var p in live)
            {
                long end = p.Offset + (p.Bytes + AlignmentBytes - 1) / AlignmentBytes * AlignmentBytes;
                if (offset + size <= p.Offset) break;
                offset = Math.Max(offset, end);
            }
            b.Offset = offset;
            placed.Add(b);
            arena = Math.Max(arena, offset + size);
        }
        long Place(long id) => id < 0 ? -1 : buffers[(int)id].Offset;
        var placedSteps = steps.Select(s => s with
        {
            InputOffset = s.Op == Int8Op.QuantizeInput ? -1 : Place(s.InputOffset),
            SecondInputOffset = Place(s.SecondInputOffset),
            OutputOffset = Place(s.OutputOffset),
        }).ToArray();
        var bufferInfo = buffers.Select((b, id) => new Int8Buffer(id, b.Name, b.Offset, b.Bytes, b.First, b.Last)).ToArray();

        var model = new ModelInfo(spec.Name, spec.Description, spec.InputChannels, spec.InputHeight, spec.InputWidth, network.OutputLength,
            network.Parameters, network.StoredTensors.Sum(t => t.Elements), network.Macs, network.Layers.Count,
            new EquatableArray<double>(spec.Mean.ToArray()), new EquatableArray<double>(spec.Std.ToArray()), spec.Weights.Bytes, spec.Weights.XxHash64,
            spec.Labels != null ? new EquatableArray<string>(spec.Labels) : EquatableArray<string>.Empty);
        return new Int8Plan(target, model, arena, naive, new EquatableArray<Int8Buffer>(bufferInfo), new EquatableArray<Int8Step>(placedSteps),
            new EquatableArray<IntTable>(tables.ToArray()), new EquatableArray<Int8Multipliers>(multipliers.ToArray()), multiplierCount,
            q.Input.Scale, q.Input.Zero, scratchFloats, Math.Max(1, layers.Max(l => l.Input.C)));
    }

    private static (long Quantized, long Shift) Multiplier(double m)
    {
        Int8Scheme.QuantizeMultiplier(m, out int quantized, out int shift);
        if (shift > 30) throw new InvalidOperationException("multiplier " + m + " needs a shift of " + shift + " (at most 30)");
        return (quantized, shift);
    }

    /// <summary>A float32 as a C# literal that reads back as the same float on every compiler (9 significant digits).</summary>
    public static string G9(float v) => v.ToString("G9", System.Globalization.CultureInfo.InvariantCulture);
}
