// Checks a model file's weights manifest against the lowered network: the same tensors, in the
// same order, with the same shapes, at float-aligned, ascending, non-overlapping offsets inside a
// blob of the declared length. (Length and SHA-256 of the blob file itself are checked by whoever
// reads the file: the CLI and the Runtime.)
using System.Collections.Generic;
using MicroNet.Aot.Model.Lowering;

namespace MicroNet.Aot.Model;

public static class ManifestValidator
{
    /// <summary>Alignment the importer uses for tensor offsets (bytes). Readers only require 4.</summary>
    public const int Alignment = 64;

    public static List<ModelIssue> Check(ModelSpec spec, Network network)
    {
        var issues = new List<ModelIssue>();
        var weights = spec.Weights;
        if (weights == null) return issues;
        void Report(string path, string message) =>
            issues.Add(new ModelIssue(IssueIds.ManifestMismatch, message, path, spec.Locate(path)));

        // an int8 model stores its own layout (Quantization.cs); a float model float32 tensors only
        var expected = new List<(string Name, int[] Shape, TensorType Type)>();
        if (spec.Quantization != null)
            foreach (var t in Int8Layout.Tensors(network)) expected.Add((t.Name, t.Shape, t.Type));
        else
            foreach (var t in network.StoredTensors) expected.Add((t.Name, t.Shape, TensorType.Float32));
        var actual = weights.Tensors;
        if (actual.Count != expected.Count)
            Report("weights.tensors", "the " + (spec.Quantization != null ? "int8 " : "") + "architecture stores " + expected.Count +
                " tensors, the manifest lists " + actual.Count);
        long end = 0;
        for (int i = 0; i < actual.Count; i++)
        {
            string path = "weights.tensors[" + i + "]";
            var t = actual[i];
            if (i < expected.Count)
            {
                var e = expected[i];
                if (t.Name != e.Name)
                {
                    Report(path + ".name", "expected tensor \"" + e.Name + "\" here, found \"" + t.Name + "\"");
                    continue;
                }
                if (!SameShape(t.Shape, e.Shape))
                    Report(path + ".shape", "\"" + t.Name + "\" must have shape " + ShapeText(e.Shape) + ", found " + ShapeText(t.Shape));
                if (t.Type != e.Type)
                    Report(path + ".dtype", "\"" + t.Name + "\" must be " + TensorTypes.Name(e.Type) + (spec.Quantization == null ? " (a float model)" : " (the int8 layout)") +
                        ", found " + TensorTypes.Name(t.Type));
            }
            int size = TensorTypes.Size(t.Type);
            long bytes = size;
            foreach (int d in t.Shape) bytes *= d;
            if (t.Offset % size != 0)
                Report(path + ".offset", "offset " + t.Offset + " is not a multiple of " + size + " (" + TensorTypes.Name(t.Type) + ")");
            else if (t.Offset < end)
                Report(path + ".offset", "offset " + t.Offset + " overlaps the previous tensor, which ends at " + end);
            else if (t.Offset + bytes > weights.Bytes)
                Report(path + ".offset", "\"" + t.Name + "\" (" + bytes + " bytes at " + t.Offset + ") ends past the blob's " + weights.Bytes + " bytes");
            end = System.Math.Max(end, t.Offset + bytes);
        }
        issues.AddRange(Int8Layout.Check(spec, network));
        return issues;
    }

    private static bool SameShape(int[] a, int[] b)
    {
        if (a.Length != b.Length) return false;
        for (int i = 0; i < a.Length; i++) if (a[i] != b[i]) return false;
        return true;
    }

    public static string ShapeText(int[] shape) => "[" + string.Join(", ", shape) + "]";
}
