using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using MicroNet.Aot.Tests.Infrastructure;
using Xunit;

namespace MicroNet.Aot.Tests;

/// <summary>
/// The linux-arm64 NativeAOT build, cross-published here (tools/arm64/publish.sh) and run under
/// qemu-aarch64, against the x64 JIT run of the same runner: M0 at 224 and the tiny model.
/// </summary>
public class Arm64Tests
{
    private const string Sysroot = "/usr/aarch64-linux-gnu";

    private static bool Installed(string command) =>
        Environment.GetEnvironmentVariable("PATH")!.Split(':').Any(d => File.Exists(Path.Combine(d, command)));

    private static void RequireToolchain() =>
        TestEnv.Require(Installed("qemu-aarch64") && Installed("clang") && Installed("aarch64-linux-gnu-objcopy") && Directory.Exists(Sysroot),
            "the ARM64 cross toolchain and qemu-aarch64",
            "Debian packages clang lld binutils-aarch64-linux-gnu gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user; test.sh installs them as root");

    /// <summary>samples/ModelRunner cross-published once per test run (both tests use it).</summary>
    private static readonly Lazy<string> Published = new(() =>
    {
        string outDir = TestEnv.NewTempDir("arm64");
        var publish = TestEnv.Run("bash", new[] { TestEnv.Repo("tools", "arm64", "publish.sh"), TestEnv.Repo("samples", "ModelRunner"), outDir }, TimeSpan.FromMinutes(10));
        Assert.True(publish.ExitCode == 0, "cross-publish failed:\n" + publish);
        Assert.DoesNotMatch(@"\bwarning\b", publish.Stdout);
        return Path.Combine(outDir, "model-runner");
    }, System.Threading.LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// The instruction-count gate: guest instructions per inference under qemu (deterministic to
    /// about 0.05 %, unlike timings on this VM) may not rise more than 2 % above the committed
    /// baseline (baselines/arm64-instructions.json). A change that lowers them should lower the baseline.
    /// </summary>
    [Theory]
    [InlineData("m0")]
    [InlineData("tiny")]
    public void Arm64_instructions_per_inference_do_not_regress(string model)
    {
        RequireToolchain();
        TestEnv.Require(Installed("cc") || Installed("gcc") || Installed("clang"), "a C compiler for the QEMU plugin", "Debian's gcc or clang");
        var r = TestEnv.Run("bash", new[] { TestEnv.Repo("tools", "arm64", "count-instructions.sh"), Published.Value, model }, TimeSpan.FromMinutes(10));
        Assert.True(r.ExitCode == 0, r.ToString());
        long count = long.Parse(Regex.Match(r.Stdout, @"instructions_per_inference=(\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        using var baseline = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(TestEnv.BaseDir, "baselines", "arm64-instructions.json")));
        long expected = baseline.RootElement.GetProperty(model).GetInt64();
        TestContext.Current.TestOutputHelper?.WriteLine($"{model}: {count:N0} instructions per inference (baseline {expected:N0}, {count / (double)expected:F4}x)");
        Assert.True(count > expected / 10, $"{model}: {count} instructions per inference is implausibly low (baseline {expected}): is the plugin counting?");
        Assert.True(count <= expected * 1.02, $"{model}: {count:N0} ARM64 instructions per inference, {count / (double)expected:F3}x the baseline {expected:N0} (more than 2 % above)");
    }

    /// <summary>
    /// The per-layer attribution (tools/arm64/layers.sh, the plugin's layers=FILE): every layer of
    /// the tiny model listed in model order, and the layers together account for the whole count
    /// per inference (the runner's loop between inferences lands on the last layer).
    /// </summary>
    [Fact]
    public void Per_layer_instruction_counts_add_up_to_the_total()
    {
        RequireToolchain();
        TestEnv.Require(Installed("cc") || Installed("gcc") || Installed("clang"), "a C compiler for the QEMU plugin", "Debian's gcc or clang");
        var total = TestEnv.Run("bash", new[] { TestEnv.Repo("tools", "arm64", "count-instructions.sh"), Published.Value, "tiny" }, TimeSpan.FromMinutes(10));
        Assert.True(total.ExitCode == 0, total.ToString());
        long whole = long.Parse(Regex.Match(total.Stdout, @"instructions_per_inference=(\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var r = TestEnv.Run("bash", new[] { TestEnv.Repo("tools", "arm64", "layers.sh"), Published.Value, "tiny", "Tiny" }, TimeSpan.FromMinutes(10));
        Assert.True(r.ExitCode == 0, r.ToString());
        TestContext.Current.TestOutputHelper?.WriteLine(r.Stdout);
        var rows = Regex.Matches(r.Stdout, @"^\s*([\d,]+)\s+[\d.]+%\s+L(\d{3})_", RegexOptions.Multiline);
        Assert.True(rows.Count >= 10, "too few layers listed:\n" + r.Stdout);
        var order = rows.Select(m => int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(order.OrderBy(i => i).ToArray(), order);
        long sum = rows.Sum(m => long.Parse(m.Groups[1].Value.Replace(",", ""), System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(Math.Abs(sum - whole) <= whole / 100, $"the layers add up to {sum:N0}, the whole inference is {whole:N0}");
    }

    /// <summary>
    /// KernelTests itself (the same file, every case) compiled into a NativeAOT linux-arm64 runner
    /// (tests/MicroNet.Aot.KernelRunner) and run under qemu-aarch64: the AdvSimd kernels against the
    /// reference kernels over the shapes the x64 suite uses, bit for bit where it is bit for bit.
    /// </summary>
    [Fact]
    public void Kernel_tests_pass_on_arm64_under_qemu()
    {
        RequireToolchain();
        string outDir = TestEnv.NewTempDir("arm64-kernels");
        var publish = TestEnv.Run("bash", new[] { TestEnv.Repo("tools", "arm64", "publish.sh"), TestEnv.Repo("tests", "MicroNet.Aot.KernelRunner"), outDir }, TimeSpan.FromMinutes(10));
        Assert.True(publish.ExitCode == 0, "cross-publish failed:\n" + publish);
        // twice: qemu's default CPU (Armv8.2+ with the SDOT dot product, as a Raspberry Pi 5) and a
        // Cortex-A72 (Armv8.0 without it, as a Raspberry Pi 4): the int8 kernels have a path for each
        foreach (var (cpu, dp) in new[] { ((string?)null, "True"), ("cortex-a72", "False") })
        {
            var qemuArgs = new System.Collections.Generic.List<string> { "-L", Sysroot };
            if (cpu != null) qemuArgs.AddRange(new[] { "-cpu", cpu });
            qemuArgs.Add(Path.Combine(outDir, "MicroNet.Aot.KernelRunner"));
            var run = TestEnv.Run("qemu-aarch64", qemuArgs, TimeSpan.FromMinutes(10));
            TestContext.Current.TestOutputHelper?.WriteLine((cpu ?? "default CPU") + ": " + (run.Stdout.Split('\n').LastOrDefault(l => l.StartsWith("kernel tests", StringComparison.Ordinal)) ?? ""));
            Assert.True(run.ExitCode == 0, "ARM64 kernel tests failed on " + (cpu ?? "qemu's default CPU") + ":\n" + run);
            var m = Regex.Match(run.Stdout, @"kernel tests on Arm64: (\d+) passed, 0 failed \(Vector128.IsHardwareAccelerated=True, AdvSimd.Arm64=True, Dp=" + dp + @"\)");
            Assert.True(m.Success, run.Stdout);
            Assert.True(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 4000, "too few kernel test cases ran: " + m.Value);
        }
    }

    [Fact]
    public void Arm64_binary_under_qemu_matches_the_x64_run()
    {
        RequireToolchain();
        string binary = Published.Value;
        string outDir = Path.GetDirectoryName(binary)!;
        var file = TestEnv.Run("file", new[] { binary });
        if (file.ExitCode == 0) Assert.Contains("aarch64", file.Stdout);

        foreach (var model in new[] { "m0", "tiny" })
        {
            string armOut = Path.Combine(outDir, model + ".arm64.f32"), x64Out = Path.Combine(outDir, model + ".x64.f32");
            var arm = TestEnv.Run("qemu-aarch64", new[] { "-L", Sysroot, binary, model, "--seed", "7", "--runs", "1", "--output", armOut }, TimeSpan.FromMinutes(5));
            Assert.True(arm.ExitCode == 0, "ARM64 run failed:\n" + arm);
            Assert.Contains("arch=Arm64", arm.Stdout);
            Assert.Contains("Vector128.IsHardwareAccelerated=True", arm.Stdout); // the AdvSimd path really ran

            var x64 = TestEnv.Run(TestEnv.Dotnet, new[] { "run", "--project", TestEnv.Repo("samples", "ModelRunner"), "-c", "Release", "--",
                model, "--seed", "7", "--runs", "1", "--output", x64Out }, TimeSpan.FromMinutes(5));
            Assert.True(x64.ExitCode == 0, x64.ToString());
            Assert.Contains("arch=X64", x64.Stdout);

            float[] a = ModelFixtures.ReadFloats(armOut), b = ModelFixtures.ReadFloats(x64Out);
            Assert.Equal(b.Length, a.Length);
            for (int i = 0; i < a.Length; i++)
                Assert.True(Math.Abs(a[i] - b[i]) <= 1e-5 * Math.Max(1.0, Math.Abs(b[i])), $"{model} output {i}: ARM64 {a[i]:R}, x64 {b[i]:R}");
            string Top5(string stdout) => Regex.Match(stdout, @"top5=([0-9,]+)").Groups[1].Value;
            Assert.Equal(Top5(x64.Stdout), Top5(arm.Stdout));
        }
    }

    /// <summary>
    /// The int8 models (docs/int8.md's promise): the linux-arm64 NativeAOT binary under qemu gives the
    /// integer reference's outputs (tools/reference/int8_reference.py) bit for bit, as the x64 JIT run does.
    /// </summary>
    [Theory]
    [InlineData("tiny-int8", "tests/models/TinyInt8.micronet.json")]
    [InlineData("fashion-int8", "Models/FashionMicroNetInt8.micronet.json")]
    [InlineData("m0-int8", "Models/MicroNetM0Int8.micronet.json")]
    public void Int8_outputs_on_arm64_and_x64_equal_the_integer_reference_bit_for_bit(string model, string json)
    {
        RequireToolchain();
        string python = Reference.RequirePython();
        string binary = Published.Value;
        string dir = TestEnv.NewTempDir("arm64-int8-" + model);
        string modelJson = TestEnv.Repo(json.Split('/'));
        var spec = MicroNet.Aot.Model.ModelSpecReader.Read(File.ReadAllText(modelJson), true, out _)!;
        int length = spec.InputChannels * spec.InputHeight * spec.InputWidth;
        var random = new Random(17);
        var x = new float[2 * length];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() * 4 - 2);
        for (int n = 0; n < 2; n++)
        {
            string input = Path.Combine(dir, "x" + n + ".f32");
            File.WriteAllBytes(input, System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan(n * length, length)).ToArray());
            string reference = Path.Combine(dir, "ref" + n + ".f32"), arm = Path.Combine(dir, "arm" + n + ".f32"), x64 = Path.Combine(dir, "x64" + n + ".f32");
            var r = TestEnv.Run(python, new[] { Path.Combine(TestEnv.BaseDir, "reference", "int8_reference.py"), "run", modelJson, "--inputs", input, "--out", reference }, TimeSpan.FromMinutes(5));
            Assert.True(r.ExitCode == 0, r.ToString());
            var a = TestEnv.Run("qemu-aarch64", new[] { "-L", Sysroot, binary, model, "--input", input, "--runs", "1", "--output", arm }, TimeSpan.FromMinutes(5));
            Assert.True(a.ExitCode == 0, "ARM64 run failed:\n" + a);
            Assert.Contains("arch=Arm64", a.Stdout);
            var b = TestEnv.Run(TestEnv.Dotnet, new[] { "run", "--project", TestEnv.Repo("samples", "ModelRunner"), "-c", "Release", "--", model, "--input", input, "--runs", "1", "--output", x64 }, TimeSpan.FromMinutes(5));
            Assert.True(b.ExitCode == 0, b.ToString());
            Assert.Contains("arch=X64", b.Stdout);
            float[] expected = ModelFixtures.ReadFloats(reference);
            Int8Bits.AssertEqual(expected, ModelFixtures.ReadFloats(arm));
            Int8Bits.AssertEqual(expected, ModelFixtures.ReadFloats(x64));
        }
    }
}
