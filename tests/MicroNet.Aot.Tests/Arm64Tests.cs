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

    [Fact]
    public void Arm64_binary_under_qemu_matches_the_x64_run()
    {
        TestEnv.Require(Installed("qemu-aarch64") && Installed("clang") && Installed("aarch64-linux-gnu-objcopy") && Directory.Exists(Sysroot),
            "the ARM64 cross toolchain and qemu-aarch64",
            "Debian packages clang lld binutils-aarch64-linux-gnu gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user; test.sh installs them as root");
        string outDir = TestEnv.NewTempDir("arm64");
        var publish = TestEnv.Run("bash", new[] { TestEnv.Repo("tools", "arm64", "publish.sh"), TestEnv.Repo("samples", "ModelRunner"), outDir }, TimeSpan.FromMinutes(10));
        Assert.True(publish.ExitCode == 0, "cross-publish failed:\n" + publish);
        Assert.DoesNotMatch(@"\bwarning\b", publish.Stdout);
        string binary = Path.Combine(outDir, "model-runner");
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
}
