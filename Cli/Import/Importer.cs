using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using MicroNet.Aot.Cli.Checkpoints;
using MicroNet.Aot.Model;
using MicroNet.Aot.Model.Lowering;

namespace MicroNet.Aot.Cli.Import;

public sealed class ImportOptions
{
    public string Checkpoint { get; init; } = "";
    public string? Preset { get; init; }
    public string? ArchPath { get; init; }
    /// <summary>--input-size: height and width in pixels.</summary>
    public (int Height, int Width)? InputSize { get; init; }
    public int? Classes { get; init; }
    public string Name { get; init; } = "";
    public string OutDir { get; init; } = "";
    /// <summary>--labels: a UTF-8 text file with one class label per line, in output order.</summary>
    public string? LabelsPath { get; init; }
}

/// <summary>
/// `micronet import`: architecture -> strict key/shape check of the checkpoint -> BatchNorm folding
/// -> NAME.micronet.json + NAME.weights.bin. Nothing is written unless every step succeeded.
/// </summary>
public static class Importer
{
    /// <summary>
    /// Imports as <paramref name="o"/> says. The summary (architecture, what was written) goes to
    /// <paramref name="output"/> (stdout); progress to <paramref name="progress"/> (stderr), and only
    /// where a step takes more than a moment: a checkpoint of 64 MiB or more, anything after the
    /// first second.
    /// </summary>
    public static (string JsonPath, string BlobPath) Run(ImportOptions o, TextWriter output, TextWriter progress)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Progress(string line, bool slow = false)
        {
            if (slow || clock.ElapsedMilliseconds >= 1000) progress.WriteLine(line);
        }
        var (spec, archName) = LoadArchitecture(o);
        var network = Architectures.Lower(spec, archName);
        output.WriteLine($"architecture {archName}: {network.Layers.Count} layers, {network.Parameters:N0} parameters, {network.Macs:N0} MACs");

        var info = new FileInfo(o.Checkpoint);
        Progress($"reading {o.Checkpoint} ({(info.Exists ? info.Length / 1048576.0 : 0):F1} MiB)", slow: info.Exists && info.Length >= 64L << 20);
        // the tensor data a matching checkpoint can hold: every expected tensor in float64, plus 16 MiB
        // (BatchNorm counters, small extras); a file that declares or inflates to more is refused unread
        long budget = network.CheckpointTensors.Sum(t => t.Shape.Aggregate(8L, (n, d) => n * d)) + (16L << 20);
        Checkpoint checkpoint;
        try
        {
            checkpoint = CheckpointReader.Read(o.Checkpoint, m => Progress("  " + m), budget);
        }
        catch (Exception e) when (e is not CliError and not IOException and not OutOfMemoryException)
        {
            // a class of malformed input the readers do not name yet: still one error line, nothing written
            throw new CliError(o.Checkpoint + ": cannot be read as a checkpoint (" + e.GetType().Name + ": " + e.Message + ")", e);
        }
        if (checkpoint.Ignored.Count > 0)
            output.WriteLine("training checkpoint: using 'state_dict', ignoring " + string.Join(", ", checkpoint.Ignored.Select(k => "'" + k + "'")));
        var state = Match(checkpoint, network, o.Checkpoint, archName);

        var cache = new Dictionary<string, double[]>(StringComparer.Ordinal);
        double[] Source(string key)
        {
            if (!cache.TryGetValue(key, out var v)) cache[key] = v = state[key].ToDoubles();
            return v;
        }
        var stored = network.StoredTensors.ToList();
        var values = new List<float[]>(stored.Count);
        for (int i = 0; i < stored.Count; i++)
        {
            values.Add(Folding.Fold(stored[i], Source));
            if (stored.Count >= 100 && (i + 1) % (stored.Count / 4) == 0) Progress($"  folded {i + 1}/{stored.Count} tensors");
        }

        var result = ModelWriter.Write(spec, network, values, o.OutDir);
        if (spec.Labels != null) output.WriteLine($"labels: {spec.Labels.Length} from {o.LabelsPath} ({string.Join(", ", spec.Labels.Take(3))}{(spec.Labels.Length > 3 ? ", ..." : "")})");
        output.WriteLine($"wrote {result.JsonPath} and {result.BlobPath} ({spec.Weights!.Bytes:N0} bytes, sha256 {spec.Weights.Sha256[..16]}...)");
        // the peak resident memory of the whole import (VmHWM), .NET runtime included: the limits in docs/security.md
        output.WriteLine($"peak memory {System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} MiB");
        return result;
    }

    private static (ModelSpec Spec, string Name) LoadArchitecture(ImportOptions o)
    {
        if ((o.Preset == null) == (o.ArchPath == null)) throw new CliError("give exactly one of --preset and --arch");
        string name = o.Preset != null ? "preset " + o.Preset.ToLowerInvariant() : o.ArchPath!;
        string text = o.Preset != null ? Architectures.PresetText(o.Preset) : ReadText(o.ArchPath!);
        var spec = Architectures.Read(text, name, requireWeights: false);
        spec.Weights = null; // a model file given as --arch: only its architecture is used
        if (o.InputSize is var (height, width)) { spec.InputHeight = height; spec.InputWidth = width; }
        if (o.Classes is int classes) spec.Classes = classes;
        spec.Name = o.Name;
        if (o.LabelsPath != null) spec.Labels = ReadLabels(o.LabelsPath, spec.Classes);
        // the overridden architecture must be a model file this tool (and the generator) accepts:
        // checked by the format's own reader, each problem named by the option that caused it
        ModelSpecReader.Read(ModelJsonWriter.ToJson(spec), requireWeights: false, out var issues);
        if (issues.Count > 0)
        {
            string Option(ModelIssue i) =>
                i.Path.StartsWith("input.height", StringComparison.Ordinal) || i.Path.StartsWith("input.width", StringComparison.Ordinal) ? (o.InputSize is var (h, w) ? "--input-size " + (h == w ? h.ToString(System.Globalization.CultureInfo.InvariantCulture) : h + "x" + w) : name) :
                i.Path == "classes" ? (o.Classes != null ? "--classes " + o.Classes : name) :
                i.Path == "name" ? "--name '" + o.Name + "'" : name;
            throw new CliError(string.Join(Environment.NewLine + "error: ", issues.Select(i => Option(i) + ": " + i.Message).Distinct()) + " (nothing was written)");
        }
        return (spec, name);
    }

    /// <summary>
    /// One label per line (UTF-8, a BOM and CRLF line ends accepted, one final empty line ignored), as
    /// many as the model has classes; each is checked as the model file checks its "labels".
    /// </summary>
    private static string[] ReadLabels(string path, int classes)
    {
        if (!File.Exists(path)) throw new CliError(path + ": no such file");
        // a label is at most MaxLabelLength UTF-16 units, so a file far larger than the labels it may hold is a wrong file
        long limit = (long)(classes + 1) * (ModelSpecReader.MaxLabelLength * 4 + 2) + 3;
        if (new FileInfo(path).Length > limit)
            throw new CliError($"{path}: {new FileInfo(path).Length:N0} bytes is more than {classes} labels can take: is it the labels file (one label per line)? (nothing was written)");
        string text;
        try
        {
            text = new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(File.ReadAllBytes(path));
        }
        catch (System.Text.DecoderFallbackException e)
        {
            throw new CliError($"{path}: not UTF-8 text (invalid byte sequence at byte {e.Index}): save the labels as UTF-8 (nothing was written)");
        }
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..]; // the byte order mark
        var lines = text.Replace("\r\n", "\n").Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        for (int i = 0; i < lines.Count; i++)
            if (ModelSpecReader.LabelProblem(lines[i]) is string problem)
                throw new CliError($"{path}({i + 1}): {problem} (nothing was written)");
        if (lines.Count != classes)
            throw new CliError($"{path}: {lines.Count} labels, but the model has {classes} classes: give one label per line, one line per class (nothing was written)");
        return lines.ToArray();
    }

    private static string ReadText(string path)
    {
        if (!File.Exists(path)) throw new CliError(path + ": no such file");
        return File.ReadAllText(path);
    }


    /// <summary>
    /// Strict check, as load_state_dict(strict=True) after main.py's prefix handling: every expected
    /// key present with its shape and a floating-point type, nothing unexpected. All problems are
    /// listed at once. num_batches_tracked entries may be absent and are never used.
    /// </summary>
    private static Dictionary<string, RawTensor> Match(Checkpoint checkpoint, Network network, string path, string archName)
    {
        var state = new Dictionary<string, RawTensor>(StringComparer.Ordinal);
        var problems = new StringBuilder();
        foreach (var (key, tensor) in checkpoint.Tensors)
        {
            string bare = key.StartsWith("module.", StringComparison.Ordinal) ? key["module.".Length..] : key;
            if (!state.TryAdd(bare, tensor)) problems.Append("\n  duplicate key after removing 'module.': ").Append(bare);
        }
        var expected = network.CheckpointTensors.ToDictionary(t => t.Key, StringComparer.Ordinal);
        var missing = expected.Values.Where(t => !t.Optional && !state.ContainsKey(t.Key)).Select(t => t.Key).ToList();
        var unexpected = state.Keys.Where(k => !expected.ContainsKey(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        var wrongShape = new List<string>();
        var wrongType = new List<string>();
        foreach (var t in expected.Values)
        {
            if (t.Optional || !state.TryGetValue(t.Key, out var raw)) continue;
            if (!raw.Shape.SequenceEqual(t.Shape))
                wrongShape.Add($"{t.Key}: checkpoint {ManifestValidator.ShapeText(raw.Shape)}, architecture {ManifestValidator.ShapeText(t.Shape)}");
            else if (!DTypes.IsFloat(raw.DType))
                wrongType.Add($"{t.Key}: {raw.DType} (a floating-point tensor is required)");
        }
        void List(string title, List<string> items)
        {
            if (items.Count == 0) return;
            problems.Append("\n  ").Append(title).Append(" (").Append(items.Count).Append("):");
            foreach (var i in items) problems.Append("\n    ").Append(i);
        }
        List("missing keys", missing);
        List("unexpected keys", unexpected);
        List("wrong shapes", wrongShape);
        List("wrong types", wrongType);
        if (problems.Length > 0)
            throw new CliError(path + " does not match the architecture (" + archName + "); nothing was written:" + problems);
        return state;
    }
}
