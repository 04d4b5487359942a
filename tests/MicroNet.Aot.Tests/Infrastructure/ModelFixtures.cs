using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using Xunit;

namespace MicroNet.Aot.Tests.Infrastructure;

/// <summary>
/// Test models end to end: a seeded checkpoint made by the PyTorch reference, imported with
/// `micronet import`, plus seeded inputs and the reference's outputs on them. Cached per run.
/// </summary>
public static class ModelFixtures
{
    public sealed record Prepared(string Label, string ModelJson, float[] Inputs, float[] ReferenceOutputs, int Images);

    /// <summary>Configurations: label -> (preset or config file, overrides).</summary>
    public static readonly IReadOnlyDictionary<string, (string Base, int? Height, int? Width, int? Classes)> Configs =
        new Dictionary<string, (string, int?, int?, int?)>
        {
            ["m0"] = ("presets/m0.json", null, null, null),
            ["m1"] = ("presets/m1.json", null, null, null),
            ["m2"] = ("presets/m2.json", null, null, null),
            ["m3"] = ("presets/m3.json", null, null, null),
            ["m0-32-5"] = ("presets/m0.json", 32, 32, 5),
            ["m1-96-10"] = ("configs/m1-96-10.json", null, null, null),
            ["m2-160-100"] = ("presets/m2.json", 160, 160, 100),
            ["custom-64"] = ("configs/custom-mixed.json", null, null, null),
            ["custom-96x64"] = ("configs/custom-mixed.json", 96, 64, 3),
            // sizes that are not multiples of 32 (the authors' forward takes them), down to a few pixels
            ["m0-200"] = ("presets/m0.json", 200, 200, 10),
            ["tiny-7x5"] = ("configs/tiny.json", 7, 5, null),
            // the branches the published tables leave out, and shuffle off (checked against the
            // authors' code with tools/reference/check_official.py)
            ["branches-33x47"] = ("configs/branches.json", null, null, null),
            ["branches-noshuffle-40x24"] = ("configs/branches-noshuffle.json", null, null, null),
        };

    private static readonly ConcurrentDictionary<string, Lazy<Prepared>> Cache = new();
    private static readonly string Root = TestEnv.NewTempDir("models");

    public static Prepared Get(string label, int images = 2) =>
        Cache.GetOrAdd(label + "|" + images, _ => new Lazy<Prepared>(() => Prepare(label, images))).Value;

    /// <summary>The architecture JSON for a configuration (the base file with its overrides applied).</summary>
    public static string ArchPath(string label)
    {
        var (baseFile, height, width, classes) = Configs[label];
        string text = File.ReadAllText(Path.Combine(TestEnv.BaseDir, baseFile));
        var spec = MicroNet.Aot.Model.ModelSpecReader.Read(text, false, out var issues)!;
        Assert.True(spec != null, string.Join("\n", issues));
        if (height is int h) spec.InputHeight = h;
        if (width is int w) spec.InputWidth = w;
        if (classes is int c) spec.Classes = c;
        spec.Name = "Model_" + label.Replace('-', '_');
        string dir = Path.Combine(Root, label);
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "arch.json");
        File.WriteAllText(path, MicroNet.Aot.Cli.Import.ModelJsonWriter.ToJson(spec));
        return path;
    }

    private static Prepared Prepare(string label, int images)
    {
        string arch = ArchPath(label);
        string dir = Path.GetDirectoryName(arch)!;
        string ckpt = Reference.Checkpoint(arch, 21);
        string name = "Model_" + label.Replace('-', '_');
        var import = TestEnv.Cli("import", ckpt, "--arch", arch, "--name", name, "--out", dir);
        Assert.True(import.ExitCode == 0, import.ToString());
        string x = Path.Combine(dir, "x" + images + ".f32"), y = Path.Combine(dir, "y" + images + ".f32");
        Reference.Run("random-input", "--arch", arch, "--seed", "5", "--batch", images.ToString(), "--out", x);
        Reference.Run("run", "--arch", arch, "--checkpoint", ckpt, "--input", x, "--output", y);
        return new Prepared(label, Path.Combine(dir, name + ".micronet.json"), ReadFloats(x), ReadFloats(y), images);
    }

    public static float[] ReadFloats(string path) => MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(path)).ToArray();

    public static GeneratorHarness.ModelItem Item(Prepared p) => GeneratorHarness.ModelItem.FromFile(p.ModelJson);
}
