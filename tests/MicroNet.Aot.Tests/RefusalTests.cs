using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using MicroNet.Aot.Tests.Infrastructure;
using Xunit;

namespace MicroNet.Aot.Tests;

/// <summary>
/// Bad input: every refusal exits non-zero, names the problem in its message, and leaves no files.
/// </summary>
public class RefusalTests
{
    private static void AssertRefused(TestEnv.ProcessResult r, string outDir, params string[] messageParts)
    {
        Assert.True(r.ExitCode != 0, "expected a refusal\n" + r);
        Assert.StartsWith("error: ", r.Stderr.Split('\n').First(l => l.StartsWith("error: ", StringComparison.Ordinal)));
        foreach (var part in messageParts) Assert.Contains(part, r.Stderr);
        Assert.False(Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any(),
            "the refused import left files behind: " + (Directory.Exists(outDir) ? string.Join(", ", Directory.GetFiles(outDir)) : ""));
    }

    /// <summary>A torch.save-style zip whose data.pkl is the given pickle.</summary>
    private static string ZipWithPickle(byte[] pickle)
    {
        string path = Path.Combine(TestEnv.NewTempDir("evil"), "evil.pth");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            using (var s = zip.CreateEntry("archive/data.pkl", CompressionLevel.NoCompression).Open()) s.Write(pickle);
            using (var s = zip.CreateEntry("archive/version").Open()) s.Write("3\n"u8);
        }
        return path;
    }

    private static byte[] Bytes(params object[] parts)
    {
        var ms = new MemoryStream();
        foreach (var p in parts)
        {
            if (p is string s) ms.Write(Encoding.Latin1.GetBytes(s));
            else if (p is byte b) ms.WriteByte(b);
            else if (p is byte[] a) ms.Write(a);
            else if (p is int i) ms.WriteByte((byte)i);
        }
        return ms.ToArray();
    }

    public static TheoryData<string, byte[]> ForbiddenPickles => new()
    {
        // protocol 2: GLOBAL 'builtins eval', called with ('1+1',)
        { "builtins.eval", Bytes(0x80, 2, "cbuiltins\neval\nX", new byte[] { 3, 0, 0, 0 }, "1+1", 0x85, "R.") },
        // os.system as pickled on Linux (module 'posix'), protocol 2
        { "posix.system", Bytes(0x80, 2, "cposix\nsystem\nX", new byte[] { 4, 0, 0, 0 }, "echo", 0x85, "R.") },
        // protocol 4: STACK_GLOBAL with memoized strings, the global referenced but never called
        { "os.system", Bytes(0x80, 4, 0x8c, 2, "os", 0x94, 0x8c, 6, "system", 0x94, 0x93, "0}.") },
        // a harmless-looking global that a state_dict still never needs
        { "builtins.bytearray", Bytes(0x80, 2, "cbuiltins\nbytearray\n)R.") },
    };

    [Theory]
    [MemberData(nameof(ForbiddenPickles))]
    public void Pickle_naming_a_forbidden_global_is_refused(string global, byte[] pickle)
    {
        string ckpt = ZipWithPickle(pickle);
        string outDir = Path.Combine(TestEnv.NewTempDir("refuse"), "out");
        var r = TestEnv.Cli("import", ckpt, "--preset", "m0", "--name", "Evil", "--out", outDir);
        AssertRefused(r, outDir, "refused", "'" + global + "'", ckpt);
    }

    [Fact]
    public void Obfuscated_stack_global_is_refused()
    {
        // STACK_GLOBAL whose operands come from an opcode that is not a plain string push
        string ckpt = ZipWithPickle(Bytes(0x80, 4, "]", 0x8c, 6, "system", 0x93, "."));
        string outDir = Path.Combine(TestEnv.NewTempDir("refuse"), "out");
        AssertRefused(TestEnv.Cli("import", ckpt, "--preset", "m0", "--name", "Evil", "--out", outDir), outDir, "STACK_GLOBAL");
    }

    [Fact]
    public void Truncated_zip_is_refused()
    {
        string good = Reference.Checkpoint(TestEnv.Preset("m0"), 3);
        string dir = TestEnv.NewTempDir("truncated");
        string ckpt = Path.Combine(dir, "truncated.pth");
        byte[] bytes = File.ReadAllBytes(good);
        File.WriteAllBytes(ckpt, bytes.AsSpan(0, bytes.Length / 2).ToArray());
        string outDir = Path.Combine(dir, "out");
        AssertRefused(TestEnv.Cli("import", ckpt, "--preset", "m0", "--name", "Cut", "--out", outDir), outDir, "truncated or corrupt", ckpt);
    }

    [Fact]
    public void Checkpoint_of_another_architecture_is_refused_listing_every_mismatch()
    {
        string m1 = Reference.Checkpoint(TestEnv.Preset("m1"), 3);
        string outDir = Path.Combine(TestEnv.NewTempDir("other"), "out");
        var r = TestEnv.Cli("import", m1, "--preset", "m0", "--name", "Wrong", "--out", outDir);
        AssertRefused(r, outDir, "does not match the architecture (preset m0)", "wrong shapes",
            // the stem of M1 has 3 channels after the first conv, M0 has 2
            "features.0.stem.0.conv.0.weight: checkpoint [3, 3, 3, 1], architecture [2, 3, 3, 1]",
            "nothing was written");
        // every mismatching key is listed, not just the first
        int listed = r.Stderr.Split('\n').Count(l => l.Contains(": checkpoint ["));
        Assert.True(listed > 50, "expected every wrongly shaped key in the message, found " + listed + "\n" + r.Stderr);
    }

    [Fact]
    public void Missing_key_is_refused()
    {
        const string key = "features.3.layers.1.fc.2.weight";
        string ckpt = Reference.Checkpoint(TestEnv.Preset("m0"), 3, "--drop", key);
        string outDir = Path.Combine(TestEnv.NewTempDir("missing"), "out");
        AssertRefused(TestEnv.Cli("import", ckpt, "--preset", "m0", "--name", "Gap", "--out", outDir), outDir,
            "missing keys (1)", key);
    }

    [Fact]
    public void Not_a_checkpoint_is_refused()
    {
        string dir = TestEnv.NewTempDir("text");
        string ckpt = Path.Combine(dir, "notes.pth");
        File.WriteAllText(ckpt, "these are not the weights you are looking for");
        string outDir = Path.Combine(dir, "out");
        AssertRefused(TestEnv.Cli("import", ckpt, "--preset", "m0", "--name", "Text", "--out", outDir), outDir, "not a checkpoint");
    }

    [Fact]
    public void Blob_whose_sha256_differs_from_its_json_is_refused()
    {
        string ckpt = Reference.Checkpoint(TestEnv.Preset("m0"), 3);
        string dir = TestEnv.NewTempDir("sha");
        Assert.Equal(0, TestEnv.Cli("import", ckpt, "--preset", "m0", "--name", "M0", "--out", dir).ExitCode);
        Assert.Equal(0, TestEnv.Cli("inspect", Path.Combine(dir, "M0.micronet.json")).ExitCode);

        string blob = Path.Combine(dir, "M0.weights.bin");
        byte[] bytes = File.ReadAllBytes(blob);
        bytes[bytes.Length / 2] ^= 0x40; // one flipped bit, same length
        File.WriteAllBytes(blob, bytes);
        var before = Directory.GetFiles(dir).Order().ToArray();
        var r = TestEnv.Cli("inspect", Path.Combine(dir, "M0.micronet.json"));
        Assert.True(r.ExitCode != 0, r.ToString());
        Assert.Contains("MNA0010", r.Stderr);
        Assert.Contains("SHA-256", r.Stderr);
        Assert.Contains("M0.weights.bin", r.Stderr);
        Assert.Equal(before, Directory.GetFiles(dir).Order().ToArray());
    }

    [Theory]
    [InlineData("--input-size", "100", "multiple of 32")]
    [InlineData("--classes", "0", "--classes 0")]
    [InlineData("--name", "9lives", "--name '9lives'")]
    // the importer refuses what its own format refuses (the format's reader checks the overridden architecture)
    [InlineData("--input-size", "100000", "--input-size 100000: must be between 32 and 65536")]
    [InlineData("--classes", "2000000", "--classes 2000000: must be between 1")]
    [InlineData("--name", "class", "no C# keyword")]
    // unparseable values: an error line naming the option, not a .NET type
    [InlineData("--input-size", "abc", "error: --input-size 'abc': not a whole number")]
    [InlineData("--classes", "99999999999", "error: --classes '99999999999': not a whole number in range")]
    public void Bad_options_are_refused_before_reading_anything(string option, string value, string message)
    {
        string outDir = Path.Combine(TestEnv.NewTempDir("opt"), "out");
        var args = new System.Collections.Generic.List<string> { "import", "/nonexistent.pth", "--preset", "m0", "--out", outDir };
        if (option != "--name") args.AddRange(new[] { "--name", "Ok" });
        args.AddRange(new[] { option, value });
        AssertRefused(TestEnv.Cli(args.ToArray()), outDir, message);
    }

    [Fact]
    public void Architecture_error_names_file_line_and_key()
    {
        string dir = TestEnv.NewTempDir("arch");
        string arch = Path.Combine(dir, "bad.json");
        // stage 3 (kind B) of M0 with g1 = 5: 16 input channels are not divisible by 5 groups
        string text = File.ReadAllText(TestEnv.Preset("m0"));
        var lines = text.Split('\n');
        int row = Array.FindIndex(lines, l => l.Contains("\"c\":  32"));
        lines[row] = lines[row].Replace("\"g1\":   4", "\"g1\":   5");
        File.WriteAllText(arch, string.Join('\n', lines));
        string outDir = Path.Combine(dir, "out");
        var r = TestEnv.Cli("import", "/nonexistent.pth", "--arch", arch, "--name", "Bad", "--out", outDir);
        AssertRefused(r, outDir, arch + "(" + (row + 1) + ",", "MNA0007", "stages[3].g1", "must both be divisible by 5 groups");
    }
}
