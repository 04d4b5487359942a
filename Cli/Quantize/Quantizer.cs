using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using MicroNet.Aot.Cli.Import;
using MicroNet.Aot.Model;
using MicroNet.Aot.Model.Lowering;
using MicroNet.Aot.Runtime;

namespace MicroNet.Aot.Cli.Quantize;

public sealed class QuantizeOptions
{
    public string Model { get; init; } = "";
    public string Calibration { get; init; } = "";
    public string Name { get; init; } = "";
    public string OutDir { get; init; } = "";
    public int? Samples { get; init; }
    /// <summary>"percentile" (the default: measured better here, docs/int8-study.md) or "minmax".</summary>
    public string Method { get; init; } = "percentile";
    public double Percentile { get; init; } = 99.99;
}

/// <summary>
/// `micronet quantize`: post-training int8 quantization of a float model pair (docs/int8.md). Runs
/// the float network on the calibration inputs, takes every stored tensor's range (min/max or a
/// percentile), quantizes weights per output channel and biases to int32, and writes the int8 pair
/// (format micronet/2) atomically. Every check runs before anything is written.
/// </summary>
public static class Quantizer
{
    public static void Run(QuantizeOptions o, TextWriter output)
    {
        if (!ModelSpecReader.IsIdentifier(o.Name) || ModelSpecReader.IsKeyword(o.Name))
            throw new CliError("--name '" + o.Name + "': not a valid model name (letters, digits and '_', not starting with a digit, no C# keyword)");
        if (o.Method != "percentile" && o.Method != "minmax")
            throw new CliError("--method '" + o.Method + "': expected percentile or minmax");
        if (o.Method == "percentile" && !(o.Percentile > 50 && o.Percentile <= 100))
            throw new CliError("--percentile " + o.Percentile.ToString(System.Globalization.CultureInfo.InvariantCulture) + ": must be above 50 and at most 100");

        var spec = Architectures.ReadFile(o.Model, requireWeights: true);
        if (spec.Quantization != null) throw new CliError(o.Model + ": already an int8 model; quantize its float model instead");
        var network = Architectures.Lower(spec, o.Model);
        var manifest = ManifestValidator.Check(spec, network);
        if (manifest.Count > 0) throw Architectures.Issues(o.Model, manifest);
        var blob = ModelFiles.ReadVerifiedBlob(spec, o.Model, o.Model);
        var weights = new Dictionary<string, float[]>();
        foreach (var t in spec.Weights!.Tensors)
        {
            long n = 1;
            foreach (int d in t.Shape) n *= d;
            weights[t.Name] = MemoryMarshal.Cast<byte, float>(blob.AsSpan((int)t.Offset, (int)(4 * n))).ToArray();
        }
        var calibration = new CalibrationFile(o.Calibration, spec, o.Samples);

        // calibration: pass 1 the extremes of every tensor, pass 2 (percentile) their histograms
        var interpreter = new FloatInterpreter(network, weights);
        var layers = network.Layers;
        var observers = Enumerable.Range(0, layers.Count + 1).Select(_ => new RangeObserver()).ToArray(); // [0]: the input
        calibration.ForEach((_, x) =>
        {
            interpreter.Run(x);
            observers[0].ObserveExtremes(x);
            for (int i = 0; i < layers.Count; i++) observers[i + 1].ObserveExtremes(interpreter.Output(i));
        });
        if (o.Method == "percentile")
            calibration.ForEach((_, x) =>
            {
                interpreter.Run(x);
                observers[0].ObserveHistogram(x);
                for (int i = 0; i < layers.Count; i++) observers[i + 1].ObserveHistogram(interpreter.Output(i));
            });
        TensorQuant Quant(int observer)
        {
            var (lo, hi) = observers[observer].Range(o.Method, o.Percentile);
            return Int8Scheme.FromRange(lo, hi);
        }

        // which observed range each layer's output is quantized with: a conv whose only path leads
        // (through shuffles and max-group pooling) into a ReLU6 takes the ReLU6's range, so that the
        // conv's requantization clamps and the ReLU6 costs nothing (docs/int8.md, "ReLU6")
        var consumers = new int[layers.Count];
        foreach (var l in layers) foreach (int i in l.Inputs) if (i >= 0) consumers[i]++;
        var input = Quant(0);
        var quant = new List<LayerQuant>();
        for (int i = 0; i < layers.Count - 1; i++)
        {
            var layer = layers[i];
            TensorQuant q;
            if (Int8Layout.KeepsInputQuantization(layer.Kind))
                q = layer.Inputs[0] < 0 ? input : quant[layer.Inputs[0]].Output;
            else
            {
                int observed = i;
                if (layer.Kind == LayerKind.Conv)
                {
                    int j = i;
                    while (consumers[j] == 1 && j + 1 < layers.Count && layers[j + 1].Inputs.Length == 1 && layers[j + 1].Inputs[0] == j)
                    {
                        var next = layers[j + 1].Kind;
                        if (next == LayerKind.Relu6) { observed = j + 1; break; }
                        if (next != LayerKind.ChannelShuffle && next != LayerKind.MaxGroupPool) break;
                        j++;
                    }
                }
                q = Quant(observed + 1);
            }
            int bits = layer.Kind == LayerKind.ShiftMax ? Int8Scheme.CoefficientBits(layer) : -1;
            if (bits == -2)
                throw new CliError(o.Model + ": " + layer.Name + ": Shift-Max coefficients up to act_max + |init| do not fit int16 (act_max too large)");
            quant.Add(new LayerQuant(layer.Name, q, bits));
        }
        var quantization = new QuantizationSpec(input, quant,
            new CalibrationInfo(o.Method, o.Method == "percentile" ? o.Percentile : 0, calibration.Count));

        // weights, biases, and a check that every requantization multiplier is representable
        var tensors = new List<BlobTensor>();
        var notes = new List<string>();
        foreach (var t in Int8Layout.Tensors(network))
        {
            var layer = t.Layer;
            if (t.Type == TensorType.Float32 && !t.Name.EndsWith(Int8Layout.WeightScaleSuffix))
            {
                tensors.Add(new BlobTensor(t.Name, t.Shape, t.Type, MemoryMarshal.AsBytes(weights[t.Name].AsSpan()).ToArray()));
                continue;
            }
            string weightName = t.Source!.WeightKey;
            var w = weights[weightName];
            int outC = t.Source.Shape[0];
            var scales = Int8Scheme.WeightScales(w, outC);
            if (t.Type == TensorType.Int8)
                tensors.Add(new BlobTensor(t.Name, t.Shape, t.Type, MemoryMarshal.AsBytes(Int8Scheme.QuantizeWeights(w, scales).AsSpan()).ToArray()));
            else if (t.Type == TensorType.Float32)
                tensors.Add(new BlobTensor(t.Name, t.Shape, t.Type, MemoryMarshal.AsBytes(scales.AsSpan()).ToArray()));
            else
            {
                var inQ = Int8Layout.InputOf(quantization, layer);
                long taps = w.Length / outC;
                var bias = Int8Scheme.QuantizeBias(weights[t.Name], scales, inQ.Scale, taps, out int clamped);
                if (clamped > 0) notes.Add(t.Name + ": " + clamped + " bias value(s) clamped to keep the int32 accumulator from overflowing");
                tensors.Add(new BlobTensor(t.Name, t.Shape, t.Type, MemoryMarshal.AsBytes(bias.AsSpan()).ToArray()));
                if (layer.Kind == LayerKind.Conv)
                {
                    var outQ = quantization.Layers[layer.Index].Output;
                    for (int c = 0; c < outC; c++)
                        CheckMultiplier(o.Model, layer, (double)inQ.Scale * scales[c] / outQ.Scale);
                }
            }
        }
        foreach (var layer in layers)
        {
            if (layer.Index >= quant.Count) continue;
            var outQ = quant[layer.Index].Output;
            if (layer.Kind == LayerKind.ShiftMax)
                CheckMultiplier(o.Model, layer, Int8Scheme.ShiftMaxMultiplier(Int8Layout.InputOf(quantization, layer), quant[layer.Index].CoefficientBits, outQ));
            else if (layer.Kind == LayerKind.Add)
            {
                var a = layer.Inputs[0] < 0 ? input : quant[layer.Inputs[0]].Output;
                var b = layer.Inputs[1] < 0 ? input : quant[layer.Inputs[1]].Output;
                var m = Int8Scheme.AddMultipliers(a.Scale, b.Scale, outQ.Scale);
                CheckMultiplier(o.Model, layer, m.A);
                CheckMultiplier(o.Model, layer, m.B);
                CheckMultiplier(o.Model, layer, m.Output);
            }
        }

        var outSpec = Architectures.ReadFile(o.Model, requireWeights: true);
        outSpec.Name = o.Name;
        outSpec.Format = ModelSpec.FormatTag2;
        outSpec.Quantization = quantization;
        outSpec.Description = (spec.Description != null ? spec.Description + " " : "") + "int8 (micronet quantize, " +
            (o.Method == "percentile" ? "percentile " + ModelJsonWriter.Num(o.Percentile) : "minmax") + ", " + calibration.Count + " calibration inputs)";
        // the written file must read back as a valid int8 model: checked before anything is renamed into place
        var (jsonPath, blobPath) = ModelWriter.Write(outSpec, tensors, o.OutDir, text =>
        {
            var back = ModelSpecReader.Read(text, requireWeights: true, out var issues);
            if (back == null) throw Architectures.Issues(o.Name + ".micronet.json (as written)", issues);
            var check = ManifestValidator.Check(back, Architectures.Lower(back, o.Name));
            if (check.Count > 0) throw Architectures.Issues(o.Name + ".micronet.json (as written)", check);
        });
        foreach (var n in notes) output.WriteLine("note: " + n);
        output.WriteLine($"{o.Name}: int8, {calibration.Count} calibration inputs ({o.Method}" +
            (o.Method == "percentile" ? " " + ModelJsonWriter.Num(o.Percentile) : "") + "), input " + input);
        output.WriteLine($"weights: {spec.Weights.Bytes:N0} bytes float32 -> {new FileInfo(blobPath).Length:N0} bytes int8 ({(double)spec.Weights.Bytes / new FileInfo(blobPath).Length:0.00}x smaller)");
        output.WriteLine("wrote " + jsonPath);
        output.WriteLine("wrote " + blobPath);
    }

    private static void CheckMultiplier(string model, Layer layer, double multiplier)
    {
        try
        {
            Requantization.QuantizeMultiplier(multiplier, out _, out int shift);
            if (shift > 30) throw new ArgumentOutOfRangeException(nameof(multiplier)); // 2^30 or more: beyond the left shift's range
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new CliError(model + ": " + layer.Name + " (" + layer.Describe() + "): its requantization multiplier " +
                multiplier.ToString("R", System.Globalization.CultureInfo.InvariantCulture) + " is not representable (must be finite and below 2^30): the calibration ranges are degenerate");
        }
    }
}
