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
    [InlineData("--input-size", "0", "--input-size 0: must be between 1 and 65536")]
    [InlineData("--input-size", "224x0", "--input-size 224x0: must be between 1 and 65536")]
    [InlineData("--classes", "0", "--classes 0")]
    [InlineData("--name", "9lives", "--name '9lives'")]
    // the importer refuses what its own format refuses (the format's reader checks the overridden architecture)
    [InlineData("--input-size", "100000", "--input-size 100000: must be between 1 and 65536")]
    [InlineData("--classes", "2000000", "--classes 2000000: must be between 1")]
    [InlineData("--name", "class", "no C# keyword")]
    // unparseable values: an error line naming the option, not a .NET type
    [InlineData("--input-size", "abc", "error: --input-size 'abc': expected a whole number N or HEIGHTxWIDTH")]
    [InlineData("--input-size", "224x", "error: --input-size '224x': expected a whole number N or HEIGHTxWIDTH")]
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

    // ---- hostile numbers, sizes and encodings (issue 19): every one an "error:" line, nothing written ----

    private static byte[] Int32(int v) => BitConverter.GetBytes(v);
    private static object[] Str(string v) => new object[] { "X", Int32(Encoding.UTF8.GetByteCount(v)), Encoding.UTF8.GetBytes(v) };

    /// <summary>
    /// A protocol-2 state_dict {"w": tensor} as torch.save writes it: _rebuild_tensor_v2 of storage '0'
    /// (a FloatStorage of <paramref name="numel"/>, given as pickle opcodes), at <paramref name="offset"/>,
    /// with the given size and stride opcodes.
    /// </summary>
    private static byte[] StateDictPickle(object numel, object offset, object size, object stride) => Bytes(
        0x80, 2, "}", Str("w")[0], Str("w")[1], Str("w")[2], "ctorch._utils\n_rebuild_tensor_v2\n(",
        "(", Str("storage")[0], Str("storage")[1], Str("storage")[2], "ctorch\nFloatStorage\n", Str("0")[0], Str("0")[1], Str("0")[2],
        Str("cpu")[0], Str("cpu")[1], Str("cpu")[2], numel, "tQ",
        offset, "(", size, "t(", stride, "t", 0x89, "ccollections\nOrderedDict\n)R", "tRs.");

    private static object J(int v) => Bytes("J", Int32(v));

    /// <summary>A torch.save zip with the pickle and a storage entry data/0 of <paramref name="storageBytes"/> bytes (deflated).</summary>
    private static string ZipWithStorage(byte[] pickle, int storageBytes)
    {
        string path = Path.Combine(TestEnv.NewTempDir("hostile"), "hostile.pth");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            using (var s = zip.CreateEntry("archive/data.pkl", CompressionLevel.NoCompression).Open()) s.Write(pickle);
            using (var s = zip.CreateEntry("archive/data/0", CompressionLevel.Optimal).Open()) s.Write(new byte[storageBytes]);
        }
        return path;
    }

    public static TheoryData<string, byte[], int, string> HostileCheckpoints => new()
    {
        // a well-formed one first, so the builder is known to produce what the reader accepts (refused later, at the key match)
        { "valid tensor, unknown key", StateDictPickle(J(2), J(0), J(2), J(1)), 8, "unexpected keys" },
        // a storage offset near 2^62: the bounds check must not wrap around (PyTorch refuses it)
        { "offset 2^62", StateDictPickle(J(2), Bytes("L4611686018427387904L\n"), J(2), J(1)), 8, "overflow 64 bits" },
        // (size - 1) * stride wraps int64
        { "stride 2^62", StateDictPickle(J(2), J(0), J(3), Bytes("L4611686018427387904L\n")), 8, "overflow 64 bits" },
        // non-numeric text where the pickle has a number
        { "INT opcode 'abc'", StateDictPickle(J(2), Bytes("Iabc\n"), J(2), J(1)), 8, "malformed" },
        { "FLOAT opcode as numel", StateDictPickle(Bytes("F1e999\n"), J(0), J(2), J(1)), 8, "malformed" },
        // a LONG literal of 100,000 digits (minutes of big-integer parsing): refused by size
        { "LONG of 100000 digits", StateDictPickle(Bytes("L" + new string('9', 100_000) + "L\n"), J(0), J(2), J(1)), 8, "number literal longer than 64" },
        { "LONG4 of 1 MB", StateDictPickle(Bytes(0x8b, Int32(1 << 20), new byte[1 << 20]), J(0), J(2), J(1)), 8, "LONG4 integer of 1048576 bytes" },
        // a storage that declares 2^40 floats: refused before any memory is taken
        { "numel 2^40", StateDictPickle(Bytes("L1099511627776L\n"), J(0), J(2), J(1)), 8, "more than the architecture's tensors can need" },
        // a storage entry larger than its storage declares (an inflation bomb in miniature)
        { "entry larger than declared", StateDictPickle(J(2), J(0), J(2), J(1)), 1 << 20, "holds 1048576 bytes but its storage declares 8" },
        { "negative numel", StateDictPickle(J(-5), J(0), J(2), J(1)), 8, "declares -5 elements" },
        // NEWOBJ on _rebuild_tensor_v2 (a function called as a class: torch.load refuses it)
        { "NEWOBJ", Bytes(0x80, 2, "ctorch._utils\n_rebuild_tensor_v2\n)", 0x81, "."), 8, "refused: NEWOBJ" },
    };

    [Theory]
    [MemberData(nameof(HostileCheckpoints))]
    public void Hostile_checkpoints_get_one_error_line_and_write_nothing(string what, byte[] pickle, int storageBytes, string message)
    {
        string ckpt = ZipWithStorage(pickle, storageBytes);
        string outDir = Path.Combine(TestEnv.NewTempDir("hostile-out"), "out");
        var r = TestEnv.Cli("import", ckpt, "--preset", "m0", "--name", "Hostile", "--out", outDir);
        AssertRefused(r, outDir, message, ckpt);
        Assert.DoesNotContain("   at ", r.Stderr); // no stack trace
        TestContext.Current.TestOutputHelper?.WriteLine(what + ": " + r.Stderr.Split('\n').First(l => l.StartsWith("error: ", StringComparison.Ordinal)));
    }

    private static string Safetensors(string header, int dataBytes)
    {
        string path = Path.Combine(TestEnv.NewTempDir("st"), "model.safetensors");
        var h = Encoding.UTF8.GetBytes(header);
        File.WriteAllBytes(path, Bytes(BitConverter.GetBytes((ulong)h.Length), h, new byte[dataBytes]));
        return path;
    }

    [Theory]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "overlap")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "given twice")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "negative dimension")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,8]}}", 8, "malformed header entry")]
    public void Malformed_safetensors_are_refused(string header, int dataBytes, string message)
    {
        string file = Safetensors(header, dataBytes);
        string outDir = Path.Combine(TestEnv.NewTempDir("st-out"), "out");
        AssertRefused(TestEnv.Cli("import", file, "--preset", "m0", "--name", "St", "--out", outDir), outDir, message, file);
    }

    [Fact]
    public void Safetensors_key_that_is_not_utf8_is_refused()
    {
        string path = Path.Combine(TestEnv.NewTempDir("st8"), "model.safetensors");
        var h = Bytes("{\"", new byte[] { 0xff, 0xfe }, "\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}");
        File.WriteAllBytes(path, Bytes(BitConverter.GetBytes((ulong)h.Length), h, new byte[8]));
        string outDir = Path.Combine(TestEnv.NewTempDir("st8-out"), "out");
        var r = TestEnv.Cli("import", path, "--preset", "m0", "--name", "St", "--out", outDir);
        AssertRefused(r, outDir, path);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void A_directory_given_as_the_checkpoint_is_named_as_such()
    {
        string dir = TestEnv.NewTempDir("dir-ckpt");
        string outDir = Path.Combine(dir, "out");
        AssertRefused(TestEnv.Cli("import", dir, "--preset", "m0", "--name", "D", "--out", outDir), outDir, "a directory, not a checkpoint file");
    }

    /// <summary>What the fuzzers found (tests/MicroNet.Aot.Fuzz/regressions/, one folder per harness): every checkpoint among them gets one error line.</summary>
    public static TheoryData<string> FuzzRegressions => new(
        new[] { "pickle", "torch-zip", "torch-legacy", "safetensors" }
            .Select(h => TestEnv.Repo("tests", "MicroNet.Aot.Fuzz", "regressions", h))
            .Where(Directory.Exists)
            .SelectMany(d => Directory.GetFiles(d).Order(StringComparer.Ordinal))
            .Select(f => Path.GetRelativePath(TestEnv.Repo(), f)));

    [Theory]
    [MemberData(nameof(FuzzRegressions))]
    public void Inputs_the_fuzzers_found_get_one_error_line_and_write_nothing(string file)
    {
        string ckpt = TestEnv.Repo(file);
        if (file.Contains(Path.DirectorySeparatorChar + "pickle" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            ckpt = ZipWithPickle(File.ReadAllBytes(ckpt)); // a bare data.pkl: into an archive of its own
        string outDir = Path.Combine(TestEnv.NewTempDir("fuzz-out"), "out");
        var r = TestEnv.Cli("import", ckpt, "--preset", "m0", "--name", "Fuzzed", "--out", outDir);
        AssertRefused(r, outDir, ckpt);
        Assert.DoesNotContain("   at ", r.Stderr);
        // the readers name the class themselves, not the importer's safety net for the unforeseen
        Assert.DoesNotContain("cannot be read as a checkpoint (", r.Stderr);
        TestContext.Current.TestOutputHelper?.WriteLine(r.Stderr.Split('\n').First(l => l.StartsWith("error: ", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    public void Safetensors_shorter_than_its_header_length_is_refused(int bytes)
    {
        string path = Path.Combine(TestEnv.NewTempDir("st-short"), "short.safetensors");
        File.WriteAllBytes(path, new byte[bytes]);
        var e = Assert.Throws<MicroNet.Aot.Cli.CliError>(() => MicroNet.Aot.Cli.Checkpoints.SafetensorsReader.Read(path));
        Assert.Contains("truncated safetensors file", e.Message);
    }
}
