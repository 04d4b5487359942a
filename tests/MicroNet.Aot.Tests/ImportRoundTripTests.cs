using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using MicroNet.Aot.Cli.Checkpoints;
using MicroNet.Aot.Model;
using MicroNet.Aot.Tests.Infrastructure;
using Xunit;

namespace MicroNet.Aot.Tests;

/// <summary>
/// Checkpoints made by the PyTorch reference, imported by `micronet import`: every folded tensor in
/// the blob must equal the reference's own BatchNorm folding, and the files must pass the schema.
/// </summary>
public class ImportRoundTripTests
{
    public static TheoryData<string, string[], string> Configurations => new()
    {
        // (reference architecture, import arguments, label)
        { "presets/m0.json", new[] { "--preset", "m0" }, "M0" },
        { "presets/m1.json", new[] { "--preset", "m1" }, "M1" },
        { "presets/m2.json", new[] { "--preset", "m2" }, "M2" },
        { "presets/m3.json", new[] { "--preset", "m3" }, "M3" },
        // another input size and class count, through the CLI's overrides
        { "configs/m1-96-10.json", new[] { "--preset", "m1", "--input-size", "96", "--classes", "10" }, "M1 96px 10 classes" },
        // a custom table: n > 1, every block kind, y1/y2/y3 values the presets don't use
        { "configs/custom-mixed.json", new[] { "--arch", "configs/custom-mixed.json" }, "custom table" },
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Imported_blob_equals_reference_folding(string arch, string[] importArgs, string label)
    {
        string archPath = Path.Combine(TestEnv.BaseDir, arch);
        string ckpt = Reference.Checkpoint(archPath, 11);
        string folded = Reference.Fold(archPath, ckpt);
        string outDir = TestEnv.NewTempDir("import");

        var args = new List<string> { "import", ckpt, "--name", "Model", "--out", outDir };
        args.AddRange(importArgs.Select(a => a.StartsWith("configs/") ? Path.Combine(TestEnv.BaseDir, a) : a));
        var r = TestEnv.Cli(args.ToArray());
        Assert.True(r.ExitCode == 0, label + ": import failed\n" + r);

        AssertMatchesReference(Path.Combine(outDir, "Model.micronet.json"), folded);
        SchemaTests.AssertValid(File.ReadAllText(Path.Combine(outDir, "Model.micronet.json")));
        Assert.Equal(new[] { "Model.micronet.json", "Model.weights.bin" },
            Directory.GetFiles(outDir).Select(Path.GetFileName).Order().ToArray());
    }

    public static TheoryData<string[]> CheckpointVariants => new()
    {
        new[] { "--wrap" },                       // {"state_dict", "epoch", "optimizer", ...} as main.py saves
        new[] { "--legacy" },                     // the pre-1.6 torch.save format
        new[] { "--legacy", "--wrap" },
        new[] { "--module-prefix" },              // DataParallel keys
        new[] { "--wrap", "--module-prefix" },
        new[] { "--format", "safetensors" },
        new[] { "--drop", "features.0.stem.0.conv.1.num_batches_tracked" }, // optional in PyTorch too
    };

    [Theory]
    [MemberData(nameof(CheckpointVariants))]
    public void Accepts_every_checkpoint_shape_main_py_accepts(string[] variant)
    {
        string arch = TestEnv.Config("custom-mixed.json");
        string plain = Reference.Checkpoint(arch, 5);
        string ckpt = Reference.Checkpoint(arch, 5, variant);
        string folded = Reference.Fold(arch, plain);
        string outDir = TestEnv.NewTempDir("variant");
        var r = TestEnv.Cli("import", ckpt, "--arch", arch, "--name", "Variant", "--out", outDir);
        Assert.True(r.ExitCode == 0, string.Join(" ", variant) + ": import failed\n" + r);
        AssertMatchesReference(Path.Combine(outDir, "Variant.micronet.json"), folded);
    }

    /// <summary>Reads the blob through the manifest and compares every tensor with the reference's.</summary>
    internal static void AssertMatchesReference(string jsonPath, string referenceFolded)
    {
        var spec = ModelSpecReader.Read(File.ReadAllText(jsonPath), requireWeights: true, out var issues);
        Assert.True(spec != null, string.Join("\n", issues));
        byte[] blob = File.ReadAllBytes(Path.Combine(Path.GetDirectoryName(jsonPath)!, spec!.Weights!.File));
        Assert.Equal(spec.Weights.Bytes, blob.LongLength);
        var reference = SafetensorsReader.Read(referenceFolded).Tensors;
        Assert.Equal(reference.Keys.Order(StringComparer.Ordinal), spec.Weights.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
        int mismatched = 0;
        var report = new List<string>();
        foreach (var t in spec.Weights.Tensors)
        {
            var expected = reference[t.Name];
            Assert.Equal(expected.Shape, t.Shape);
            var actual = MemoryMarshal.Cast<byte, float>(blob.AsSpan((int)t.Offset, (int)(expected.Elements * 4)));
            double[] want = expected.ToDoubles();
            for (int i = 0; i < want.Length; i++)
            {
                // Both sides fold in float64 with the same formula and round once to float32.
                double tolerance = 1e-6 * Math.Max(1.0, Math.Abs(want[i]));
                if (Math.Abs(actual[i] - want[i]) > tolerance)
                {
                    if (mismatched++ < 5) report.Add($"{t.Name}[{i}]: blob {actual[i]:R}, reference {want[i]:R}");
                }
            }
        }
        Assert.True(mismatched == 0, mismatched + " values differ from the reference folding:\n" + string.Join("\n", report));
    }

    /// <summary>
    /// docs/security.md's memory limit: an import's peak resident memory (VmHWM, the .NET runtime
    /// included, as the CLI reports it) is at most 64 MiB + 8 x the checkpoint's size. Measured:
    /// M0 (4.2 MB) 66 MiB, M3 (10.7 MB) 98 MiB.
    /// </summary>
    [Theory]
    [InlineData("m0")]
    [InlineData("m3")]
    public void Import_peak_memory_is_a_small_multiple_of_the_weights(string label)
    {
        string arch = ModelFixtures.ArchPath(label);
        string ckpt = Reference.Checkpoint(arch, 21);
        string outDir = TestEnv.NewTempDir("peak");
        var r = TestEnv.Cli("import", ckpt, "--arch", arch, "--name", "Peak", "--out", outDir);
        Assert.True(r.ExitCode == 0, r.ToString());
        var m = System.Text.RegularExpressions.Regex.Match(r.Stdout + r.Stderr, @"peak memory (\d+) MiB");
        Assert.True(m.Success, "no peak memory line:\n" + r);
        double peakMiB = double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        double checkpointMiB = new FileInfo(ckpt).Length / 1048576.0;
        double limit = 64 + 8 * checkpointMiB;
        TestContext.Current.TestOutputHelper?.WriteLine($"{label}: checkpoint {checkpointMiB:F1} MiB, peak {peakMiB} MiB, limit {limit:F0} MiB");
        Assert.True(peakMiB <= limit, $"{label}: the import peaked at {peakMiB} MiB, more than 64 + 8 x {checkpointMiB:F1} MiB");
    }

    private static string BundledM0 => TestEnv.Repo("Models", "checkpoints", "micronet-m0-random-seed1.pth");

    /// <summary>
    /// --labels FILE: one label per line (here with a byte order mark, CRLF line ends and non-ASCII
    /// labels) lands in the model file's "labels", which the format reader reads back; the summary
    /// is on stdout, and a small import prints nothing on stderr.
    /// </summary>
    [Fact]
    public void Labels_from_a_file_go_into_the_model_file_and_the_summary_goes_to_stdout()
    {
        string dir = TestEnv.NewTempDir("labels");
        var labels = Enumerable.Range(0, 1000).Select(i => i == 7 ? "Größe \"7\" \\ 🧥" : "class " + i).ToArray();
        string labelsPath = Path.Combine(dir, "labels.txt");
        File.WriteAllText(labelsPath, string.Join("\r\n", labels) + "\r\n", new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        string outDir = Path.Combine(dir, "out");
        var r = TestEnv.Cli("import", BundledM0, "--preset", "m0", "--name", "Labelled", "--out", outDir, "--labels", labelsPath);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("labels: 1000 from " + labelsPath, r.Stdout);
        Assert.Contains("wrote ", r.Stdout);
        Assert.DoesNotContain("wrote ", r.Stderr);
        Assert.DoesNotContain("architecture", r.Stderr);
        var spec = ModelSpecReader.Read(File.ReadAllText(Path.Combine(outDir, "Labelled.micronet.json")), requireWeights: false, out var issues);
        Assert.Empty(issues);
        Assert.Equal(labels, spec!.Labels);
    }

    public static TheoryData<string, string, string> BadLabelFiles => new()
    {
        { "too few", string.Join("\n", Enumerable.Range(0, 999).Select(i => "c" + i)) + "\n", "999 labels, but the model has 1000 classes" },
        { "a blank line", string.Join("\n", Enumerable.Range(0, 1000).Select(i => i == 41 ? "" : "c" + i)) + "\n", "(42): " },
        { "leading space", string.Join("\n", Enumerable.Range(0, 1000).Select(i => i == 9 ? " c9" : "c" + i)) + "\n", "(10): " },
        { "a tab inside", string.Join("\n", Enumerable.Range(0, 1000).Select(i => i == 0 ? "c\t0" : "c" + i)) + "\n", "(1): " },
    };

    [Theory]
    [MemberData(nameof(BadLabelFiles))]
    public void A_bad_labels_file_is_refused_naming_the_line_and_nothing_is_written(string what, string text, string expected)
    {
        string dir = TestEnv.NewTempDir("badlabels");
        string labelsPath = Path.Combine(dir, "labels.txt");
        File.WriteAllText(labelsPath, text);
        string outDir = Path.Combine(dir, "out");
        var r = TestEnv.Cli("import", BundledM0, "--preset", "m0", "--name", "Bad", "--out", outDir, "--labels", labelsPath);
        Assert.True(r.ExitCode != 0, what + ": accepted\n" + r);
        Assert.Contains("error: " + labelsPath, r.Stderr);
        Assert.Contains(expected, r.Stderr);
        Assert.Contains("nothing was written", r.Stderr);
        Assert.False(Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any(), what + ": files left behind");
    }

    [Fact]
    public void A_labels_file_that_is_not_UTF8_is_refused()
    {
        string dir = TestEnv.NewTempDir("badlabels");
        string labelsPath = Path.Combine(dir, "labels.txt");
        var bytes = new List<byte>();
        for (int i = 0; i < 1000; i++) bytes.AddRange(System.Text.Encoding.Latin1.GetBytes((i == 3 ? "Gr\u00f6\u00dfe" : "c" + i) + "\n")); // Latin-1, not UTF-8
        File.WriteAllBytes(labelsPath, bytes.ToArray());
        string outDir = Path.Combine(dir, "out");
        var r = TestEnv.Cli("import", BundledM0, "--preset", "m0", "--name", "Bad", "--out", outDir, "--labels", labelsPath);
        Assert.True(r.ExitCode != 0, r.ToString());
        Assert.Contains("not UTF-8", r.Stderr);
        Assert.False(Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any());
    }
}
