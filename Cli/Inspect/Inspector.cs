using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using MicroNet.Aot.Model;
using MicroNet.Aot.Model.Lowering;

namespace MicroNet.Aot.Cli.Inspect;

/// <summary>
/// `micronet inspect FILE|PRESET`: the per-layer table (layer, op, output shape, params, MACs) and
/// totals. For a model file with weights, also checks the manifest against the architecture and the
/// blob's length and SHA-256; any mismatch is an error.
/// </summary>
public static class Inspector
{
    public static void Run(string target, TextWriter output)
    {
        ModelSpec spec;
        string display;
        if (!File.Exists(target) && Architectures.PresetNames.Contains(target.ToLowerInvariant()))
        {
            display = "preset " + target.ToLowerInvariant();
            spec = Architectures.Read(Architectures.PresetText(target), display, requireWeights: false);
        }
        else
        {
            display = target;
            spec = Architectures.ReadFile(target, requireWeights: false);
        }
        var network = Architectures.Lower(spec, display);

        output.WriteLine($"{spec.Name}: input {spec.InputChannels}x{spec.InputHeight}x{spec.InputWidth}, {spec.Classes} classes");
        var rows = network.Layers.Select(l => new[]
        {
            l.Index.ToString(), l.Name, l.Describe(), l.Output.ToString(),
            l.Parameters == 0 ? "" : l.Parameters.ToString("N0"), l.Macs == 0 ? "" : l.Macs.ToString("N0"),
        }).ToList();
        var header = new[] { "#", "layer", "op", "output", "params", "MACs" };
        var widths = header.Select((h, c) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[c].Length))).ToArray();
        bool[] right = { true, false, false, false, true, true };
        string Format(string[] cells) => string.Join("  ", cells.Select((s, c) => right[c] ? s.PadLeft(widths[c]) : s.PadRight(widths[c]))).TrimEnd();
        output.WriteLine(Format(header));
        output.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var r in rows) output.WriteLine(Format(r));
        output.WriteLine();
        long stored = network.StoredTensors.Sum(t => t.Elements);
        output.WriteLine($"total parameters: {network.Parameters:N0} (as PyTorch counts them, BatchNorm included)");
        output.WriteLine($"total MACs: {network.Macs:N0}");
        output.WriteLine($"stored floats after BatchNorm folding: {stored:N0} ({stored * 4:N0} bytes)");
        if (spec.Quantization is QuantizationSpec q)
            output.WriteLine($"int8 ({spec.Format}): input {q.Input}; {q.Layers.Count} layer outputs quantized" +
                (q.Calibration is CalibrationInfo c ? $", calibrated with {c.Method}{(c.Method == "percentile" ? " " + c.Percentile.ToString(System.Globalization.CultureInfo.InvariantCulture) : "")} on {c.Samples} inputs" : ""));

        if (spec.Weights is WeightsSpec w)
        {
            var issues = ManifestValidator.Check(spec, network);
            if (issues.Count > 0) throw Architectures.Issues(display, issues);
            ModelFiles.ReadVerifiedBlob(spec, target, display);
            output.WriteLine($"weights: {w.File}, {w.Bytes:N0} bytes, {w.Tensors.Count} tensors, SHA-256 and XxHash64 verified");
        }
    }
}
