// The int8 part of a model file (format micronet/2): the quantization of every tensor the int8
// network stores, and the layout of an int8 weights blob. The scheme itself (every rounding) is
// defined in docs/int8.md; tools/reference/int8_reference.py is its executable definition.
using System.Collections.Generic;
using MicroNet.Aot.Model.Lowering;

namespace MicroNet.Aot.Model;

/// <summary>real = scale * (q - zero), q an int8. The scale is a float32 (written as its shortest round-trip text).</summary>
public readonly struct TensorQuant
{
    public TensorQuant(float scale, int zero) { Scale = scale; Zero = zero; }
    public float Scale { get; }
    public int Zero { get; }
    public bool SameAs(TensorQuant other) => Scale.Equals(other.Scale) && Zero == other.Zero;
    public override string ToString() => "scale " + Scale.ToString("R", System.Globalization.CultureInfo.InvariantCulture) + ", zero " + Zero;
}

/// <summary>The quantization of one lowered layer's output.</summary>
public sealed class LayerQuant
{
    public LayerQuant(string name, TensorQuant output, int coefficientBits = -1)
    {
        Name = name; Output = output; CoefficientBits = coefficientBits;
    }
    /// <summary>The layer's official module path, as in the lowered network.</summary>
    public string Name { get; }
    public TensorQuant Output { get; }
    /// <summary>Dynamic Shift-Max only: the fractional bits of its int16 coefficients; -1 elsewhere.</summary>
    public int CoefficientBits { get; }
}

/// <summary>How the ranges were found (informational: nothing downstream depends on it).</summary>
public sealed class CalibrationInfo
{
    public CalibrationInfo(string method, double percentile, int samples)
    {
        Method = method; Percentile = percentile; Samples = samples;
    }
    /// <summary>"minmax" or "percentile".</summary>
    public string Method { get; }
    /// <summary>The percentile for "percentile" (else 0).</summary>
    public double Percentile { get; }
    public int Samples { get; }
}

public sealed class QuantizationSpec
{
    public const string SchemeInt8 = "int8";
    /// <summary>The largest fractional-bit count of Shift-Max's int16 coefficients.</summary>
    public const int MaxCoefficientBits = 14;

    public QuantizationSpec(TensorQuant input, List<LayerQuant> layers, CalibrationInfo? calibration)
    {
        Input = input; Layers = layers; Calibration = calibration;
    }
    public string Scheme => SchemeInt8;
    /// <summary>The network input's quantization (Run quantizes the float input with it).</summary>
    public TensorQuant Input { get; }
    /// <summary>One entry per lowered layer except the last, in forward order: the last layer's output is float32.</summary>
    public List<LayerQuant> Layers { get; }
    public CalibrationInfo? Calibration { get; }
}

/// <summary>A tensor an int8 blob holds, in order: what the manifest of an int8 model must list.</summary>
public sealed class Int8Tensor
{
    public Int8Tensor(string name, int[] shape, TensorType type, Layer layer, StoredTensor? source)
    {
        Name = name; Shape = shape; Type = type; Layer = layer; Source = source;
    }
    public string Name { get; }
    public int[] Shape { get; }
    public TensorType Type { get; }
    public Layer Layer { get; }
    /// <summary>The float tensor it is made from (the weight scale comes from the weight).</summary>
    public StoredTensor? Source { get; }
}

public static class Int8Layout
{
    public const string WeightScaleSuffix = ".weight_scale";

    /// <summary>
    /// Every weight matrix is int8, symmetric per output channel: X.weight (int8) then X.weight_scale
    /// (float32, one per output channel). Conv and Linear biases are int32 (at input scale x weight
    /// scale); the Shift-Max MLPs' biases (fc.0, fc.2) stay float32, as their arithmetic does.
    /// </summary>
    public static List<Int8Tensor> Tensors(Network network)
    {
        var list = new List<Int8Tensor>();
        foreach (var layer in network.Layers)
        {
            bool integer = layer.Kind == LayerKind.Conv || layer.Kind == LayerKind.Linear;
            foreach (var t in layer.Stored)
            {
                if (t.Role == StoredRole.Weight)
                {
                    list.Add(new Int8Tensor(t.Name, t.Shape, TensorType.Int8, layer, t));
                    string baseName = t.Name.EndsWith(".weight") ? t.Name.Substring(0, t.Name.Length - ".weight".Length) : t.Name;
                    list.Add(new Int8Tensor(baseName + WeightScaleSuffix, new[] { t.Shape[0] }, TensorType.Float32, layer, t));
                }
                else list.Add(new Int8Tensor(t.Name, t.Shape, integer ? TensorType.Int32 : TensorType.Float32, layer, t));
            }
        }
        return list;
    }

    /// <summary>Layers whose output holds their input's values moved or clamped: they keep its quantization.</summary>
    public static bool KeepsInputQuantization(LayerKind kind) =>
        kind == LayerKind.ChannelShuffle || kind == LayerKind.MaxGroupPool || kind == LayerKind.Relu6;

    /// <summary>The quantization of the tensor a layer reads as its first input (-1: the network input).</summary>
    public static TensorQuant InputOf(QuantizationSpec q, Layer layer)
    {
        int source = layer.Inputs.Length > 0 ? layer.Inputs[0] : layer.Index - 1;
        return source < 0 || source >= q.Layers.Count ? q.Input : q.Layers[source].Output;
    }

    /// <summary>The smallest positive normal float32: scales must be at least this (and finite).</summary>
    public const float MinScale = 1.17549435E-38f;

    /// <summary>
    /// Checks the quantization section against the network: one entry per layer but the last, named
    /// as the layers, scales positive, normal and finite, zero points in [-128, 127], the layers that
    /// move values keeping their input's quantization, coefficient bits exactly on Shift-Max layers.
    /// </summary>
    public static List<ModelIssue> Check(ModelSpec spec, Network network)
    {
        var issues = new List<ModelIssue>();
        var q = spec.Quantization;
        if (q == null) return issues;
        void Report(string path, string message) =>
            issues.Add(new ModelIssue(IssueIds.InvalidQuantization, message, path, spec.Locate(path)));

        CheckTensor(q.Input, "quantization.input", Report);
        int expected = network.Layers.Count - 1;
        if (q.Layers.Count != expected)
        {
            Report("quantization.layers", "the network has " + network.Layers.Count + " layers, so " + expected +
                " entries (every layer but the last, whose output is float32) are expected; found " + q.Layers.Count);
            return issues;
        }
        for (int i = 0; i < expected; i++)
        {
            var layer = network.Layers[i];
            var entry = q.Layers[i];
            string path = "quantization.layers[" + i + "]";
            if (entry.Name != layer.Name)
            {
                Report(path + ".name", "expected layer \"" + layer.Name + "\" here, found \"" + entry.Name + "\"");
                continue;
            }
            CheckTensor(entry.Output, path, Report);
            if (KeepsInputQuantization(layer.Kind))
            {
                var input = InputOf(q, layer);
                if (!entry.Output.SameAs(input))
                    Report(path, "\"" + layer.Name + "\" (" + layer.Describe() + ") keeps its input's quantization (" + input +
                        "), found " + entry.Output);
            }
            if (layer.Kind == LayerKind.ShiftMax)
            {
                if (entry.CoefficientBits < 0)
                    Report(path + ".coefficient_bits", "\"" + layer.Name + "\" is a Shift-Max layer: coefficient_bits is required");
                else if (entry.CoefficientBits > QuantizationSpec.MaxCoefficientBits)
                    Report(path + ".coefficient_bits", "must be between 0 and " + QuantizationSpec.MaxCoefficientBits + ", found " + entry.CoefficientBits);
            }
            else if (entry.CoefficientBits >= 0)
                Report(path + ".coefficient_bits", "only Shift-Max layers have coefficient_bits; \"" + layer.Name + "\" is " + layer.Describe());
        }
        return issues;
    }

    private static void CheckTensor(TensorQuant t, string path, System.Action<string, string> report)
    {
        if (float.IsNaN(t.Scale) || float.IsInfinity(t.Scale) || t.Scale < MinScale)
            report(path + ".scale", "a scale must be a positive, finite, normal float32, found " + t.Scale.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        if (t.Zero < -128 || t.Zero > 127)
            report(path + ".zero", "a zero point must be between -128 and 127, found " + t.Zero);
    }
}
