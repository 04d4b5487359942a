using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MicroNet.Aot.Model;

namespace MicroNet.Aot.Cli.Import;

/// <summary>
/// Writes a ModelSpec as a NAME.micronet.json document in the layout of the shipped presets: one
/// line per stage row and per manifest tensor, so a model file stays readable and diffable.
/// Strings are escaped by System.Text.Json; numbers use the invariant culture.
/// </summary>
public static class ModelJsonWriter
{
    public static string ToJson(ModelSpec spec)
    {
        var sb = new StringBuilder();
        sb.Append("{\n");
        sb.Append("  \"format\": ").Append(Str(spec.Format)).Append(",\n");
        sb.Append("  \"name\": ").Append(Str(spec.Name)).Append(",\n");
        if (spec.Description != null) sb.Append("  \"description\": ").Append(Str(spec.Description)).Append(",\n");
        sb.Append("  \"input\": { \"channels\": ").Append(spec.InputChannels)
          .Append(", \"height\": ").Append(spec.InputHeight)
          .Append(", \"width\": ").Append(spec.InputWidth)
          .Append(", \"mean\": ").Append(Numbers(spec.Mean))
          .Append(", \"std\": ").Append(Numbers(spec.Std)).Append(" },\n");
        sb.Append("  \"classes\": ").Append(spec.Classes).Append(",\n");
        if (spec.Labels is string[] labels)
        {
            sb.Append("  \"labels\": [\n");
            for (int i = 0; i < labels.Length; i++) sb.Append("    ").Append(Str(labels[i])).Append(i < labels.Length - 1 ? ",\n" : "\n");
            sb.Append("  ],\n");
        }
        // written only when off: files of the published configurations stay as they were
        if (!spec.Shuffle) sb.Append("  \"shuffle\": false,\n");
        sb.Append("  \"stem\": { \"channels\": ").Append(spec.StemChannels)
          .Append(", \"groups\": [").Append(spec.StemGroup1).Append(", ").Append(spec.StemGroup2).Append("] },\n");
        sb.Append("  \"stages\": [\n");
        for (int i = 0; i < spec.Stages.Count; i++)
        {
            sb.Append("    { ");
            var values = spec.Stages[i].Values;
            for (int f = 0; f < values.Length; f++)
            {
                if (f > 0) sb.Append(", ");
                sb.Append('"').Append(StageRow.FieldNames[f]).Append("\": ").Append(values[f].ToString(CultureInfo.InvariantCulture).PadLeft(3));
            }
            sb.Append(" }").Append(i < spec.Stages.Count - 1 ? ",\n" : "\n");
        }
        sb.Append("  ],\n");
        sb.Append("  \"head\": { \"channels\": ").Append(spec.HeadChannels).Append(" },\n");
        sb.Append("  \"activation\": { \"act_max\": ").Append(Num(spec.ActMax))
          .Append(", \"init_a\": ").Append(Numbers(spec.InitA))
          .Append(", \"init_b\": ").Append(Numbers(spec.InitB))
          .Append(", \"init_a_block3\": ").Append(Numbers(spec.InitABlock3))
          .Append(", \"reduction\": ").Append(spec.Reduction).Append(" }");
        if (spec.Quantization is QuantizationSpec q)
        {
            sb.Append(",\n  \"quantization\": {\n");
            sb.Append("    \"scheme\": ").Append(Str(q.Scheme)).Append(",\n");
            if (q.Calibration is CalibrationInfo c)
            {
                sb.Append("    \"calibration\": { \"method\": ").Append(Str(c.Method));
                if (c.Method == "percentile") sb.Append(", \"percentile\": ").Append(Num(c.Percentile));
                sb.Append(", \"samples\": ").Append(c.Samples).Append(" },\n");
            }
            sb.Append("    \"input\": ").Append(Quant(q.Input)).Append(",\n");
            sb.Append("    \"layers\": [\n");
            for (int i = 0; i < q.Layers.Count; i++)
            {
                var l = q.Layers[i];
                sb.Append("      { \"name\": ").Append(Str(l.Name)).Append(", ").Append(Quant(l.Output).Substring(2));
                if (l.CoefficientBits >= 0) sb.Length -= 2;
                if (l.CoefficientBits >= 0) sb.Append(", \"coefficient_bits\": ").Append(l.CoefficientBits).Append(" }");
                sb.Append(i < q.Layers.Count - 1 ? ",\n" : "\n");
            }
            sb.Append("    ]\n  }");
        }
        if (spec.Weights is WeightsSpec w)
        {
            sb.Append(",\n  \"weights\": {\n");
            sb.Append("    \"file\": ").Append(Str(w.File)).Append(",\n");
            sb.Append("    \"bytes\": ").Append(w.Bytes).Append(",\n");
            sb.Append("    \"sha256\": ").Append(Str(w.Sha256)).Append(",\n");
            sb.Append("    \"xxhash64\": ").Append(Str(w.XxHash64)).Append(",\n");
            sb.Append("    \"tensors\": [\n");
            for (int i = 0; i < w.Tensors.Count; i++)
            {
                var t = w.Tensors[i];
                sb.Append("      { \"name\": ").Append(Str(t.Name))
                  .Append(", \"shape\": [").Append(string.Join(", ", t.Shape)).Append(']')
                  .Append(", \"offset\": ").Append(t.Offset)
                  .Append(spec.Format == ModelSpec.FormatTag2 ? ", \"dtype\": " + Str(TensorTypes.Name(t.Type)) : "").Append(" }")
                  .Append(i < w.Tensors.Count - 1 ? ",\n" : "\n");
            }
            sb.Append("    ]\n  }");
        }
        sb.Append("\n}\n");
        return sb.ToString();
    }

    /// <summary>A scale as the shortest text that reads back as the same float32.</summary>
    public static string Scale(float f) => f.ToString("R", CultureInfo.InvariantCulture);

    private static string Quant(TensorQuant t) => "{ \"scale\": " + Scale(t.Scale) + ", \"zero\": " + t.Zero + " }";

    private static string Str(string s) => JsonSerializer.Serialize(s, ModelJsonContext.Default.String);

    public static string Num(double d)
    {
        string s = d.ToString("R", CultureInfo.InvariantCulture);
        return s.IndexOfAny(new[] { '.', 'E', 'e' }) >= 0 ? s : s + ".0";
    }

    private static string Numbers(IReadOnlyList<double> values)
    {
        var parts = new string[values.Count];
        for (int i = 0; i < parts.Length; i++) parts[i] = Num(values[i]);
        return "[" + string.Join(", ", parts) + "]";
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class ModelJsonContext : System.Text.Json.Serialization.JsonSerializerContext { }
