using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using MicroNet.Aot.Tests.Infrastructure;
using Xunit;

namespace MicroNet.Aot.Tests;

/// <summary>
/// The image-classifier sample through the real toolchain: MSBuild + targets + generator, JIT
/// (`dotnet run`) and NativeAOT (`dotnet publish -r linux-x64 -p:PublishAot=true`).
/// </summary>
public class SampleTests
{
    private static (int Class, double P)[] Top5(string stdout) =>
        Regex.Matches(stdout, @"top-\d: class\s+(\d+)\s+p = ([0-9.]+)")
            .Select(m => (int.Parse(m.Groups[1].Value), double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)))
            .ToArray();

    [Fact]
    public void NativeAot_publish_has_no_warnings_and_gives_the_same_top5_as_dotnet_run()
    {
        string project = TestEnv.Repo("samples", "ImageClassifier");
        string image = Path.Combine(project, "sample.png");
        string outDir = TestEnv.NewTempDir("aot");

        var publish = TestEnv.Run(TestEnv.Dotnet, new[] { "publish", project, "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-o", outDir, "--nologo" }, TimeSpan.FromMinutes(10));
        Assert.True(publish.ExitCode == 0, "publish failed:\n" + publish);
        var warnings = publish.Stdout.Split('\n').Where(l => Regex.IsMatch(l, @"\bwarning\b", RegexOptions.IgnoreCase)).ToList();
        Assert.True(warnings.Count == 0, "publish warnings:\n" + string.Join("\n", warnings));
        string binary = Path.Combine(outDir, "micronet-classify");
        Assert.True(File.Exists(binary), "no native binary in " + outDir);

        var native = TestEnv.Run(binary, new[] { image, "--runs", "3" });
        Assert.True(native.ExitCode == 0, native.ToString());
        var jit = TestEnv.Run(TestEnv.Dotnet, new[] { "run", "--project", project, "-c", "Release", "--", image, "--runs", "3" }, TimeSpan.FromMinutes(5));
        Assert.True(jit.ExitCode == 0, jit.ToString());

        var a = Top5(native.Stdout);
        var b = Top5(jit.Stdout);
        Assert.Equal(5, a.Length);
        Assert.Equal(b.Select(t => t.Class), a.Select(t => t.Class));
        for (int i = 0; i < 5; i++) Assert.True(Math.Abs(a[i].P - b[i].P) <= 1e-4, $"top-{i + 1} probability {a[i].P} (AOT) vs {b[i].P} (JIT)");
        Assert.Contains("latency:", native.Stdout);
    }

    /// <summary>
    /// MicroNet.Aot.targets makes an x64 NativeAOT publish target x86-64-v3 unless the project chooses
    /// (NativeAOT's own x64 default has no AVX2: the kernels' 128-bit paths, 3-4x slower).
    /// </summary>
    [Theory]
    [InlineData("linux-x64", "", "x86-64-v3")]
    [InlineData("linux-x64", "-p:IlcInstructionSet=x86-64-v2", "x86-64-v2")]
    [InlineData("linux-x64", "-p:MicroNetDefaultInstructionSet=false", "")]
    [InlineData("linux-arm64", "", "")]
    public void NativeAot_x64_publishes_target_x86_64_v3_unless_the_project_chooses(string rid, string extra, string expected)
    {
        var args = new System.Collections.Generic.List<string> { "msbuild", TestEnv.Repo("samples", "ImageClassifier"), "-getProperty:IlcInstructionSet", "-p:PublishAot=true", "-p:RuntimeIdentifier=" + rid };
        if (extra.Length > 0) args.Add(extra);
        var r = TestEnv.Run(TestEnv.Dotnet, args, TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(expected, r.Stdout.Trim());
    }

    /// <summary>
    /// MicroNet.Aot.targets hashes each weights blob (MSBuild's GetFileHash) and the generator compares
    /// it with the JSON's sha256: a blob from another import fails the build with MNA0010 at the
    /// JSON's weights.sha256, instead of an exception at the first Run. The right blob builds.
    /// </summary>
    [Fact]
    public void A_weights_blob_that_is_not_the_jsons_fails_the_build_with_MNA0010()
    {
        string dir = TestEnv.NewTempDir("blob-check");
        File.Copy(TestEnv.Repo("Models", "FashionMicroNet.micronet.json"), Path.Combine(dir, "Fashion.micronet.json"));
        byte[] blob = File.ReadAllBytes(TestEnv.Repo("Models", "FashionMicroNet.weights.bin"));
        File.WriteAllText(Path.Combine(dir, "Fashion.micronet.json"), File.ReadAllText(Path.Combine(dir, "Fashion.micronet.json"))
            .Replace("\"FashionMicroNet.weights.bin\"", "\"Fashion.weights.bin\""));
        File.WriteAllText(Path.Combine(dir, "Consumer.csproj"),
            "<Project Sdk=\"Microsoft.NET.Sdk\">\n" +
            "  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><Nullable>enable</Nullable></PropertyGroup>\n" +
            "  <ItemGroup>\n" +
            $"    <ProjectReference Include=\"{TestEnv.Repo("Generator", "MicroNet.Aot.Generator.csproj")}\" OutputItemType=\"Analyzer\" ReferenceOutputAssembly=\"false\" />\n" +
            $"    <ProjectReference Include=\"{TestEnv.Repo("Runtime", "MicroNet.Aot.Runtime.csproj")}\" />\n" +
            "    <MicroNetModel Include=\"Fashion.micronet.json\" ClassName=\"Fashion\" Namespace=\"Consumer\" />\n" +
            "  </ItemGroup>\n" +
            $"  <Import Project=\"{TestEnv.Repo("Generator", "build", "MicroNet.Aot.targets")}\" />\n" +
            "</Project>\n");
        File.WriteAllText(Path.Combine(dir, "Program.cs"), "System.Console.WriteLine(Consumer.Fashion.InputLength);\n");

        // the blob written with the JSON: builds
        File.WriteAllBytes(Path.Combine(dir, "Fashion.weights.bin"), blob);
        var good = TestEnv.Run(TestEnv.Dotnet, new[] { "build", dir, "-c", "Release", "--nologo" }, TimeSpan.FromMinutes(5));
        Assert.True(good.ExitCode == 0, good.ToString());

        // one byte changed (same length): the build stops with MNA0010, located in the JSON
        blob[blob.Length / 2] ^= 0x5a;
        File.WriteAllBytes(Path.Combine(dir, "Fashion.weights.bin"), blob);
        var bad = TestEnv.Run(TestEnv.Dotnet, new[] { "build", dir, "-c", "Release", "--nologo" }, TimeSpan.FromMinutes(5));
        Assert.True(bad.ExitCode != 0, "a wrong blob built:\n" + bad);
        Assert.Matches(@"Fashion\.micronet\.json\(\d+,\d+\): error MNA0010: .*SHA-256", bad.Stdout);
        Assert.DoesNotContain("error CS", bad.Stdout); // the stub keeps the consumer's code compiling
    }

    /// <summary>
    /// The authors' evaluation transform (utils/dataloaders.py) on the sample image: Resize(int(S / 0.875))
    /// (truncated: 96 -> 109, 160 -> 182, where rounding gives 110 and 183), CenterCrop, ToTensor,
    /// Normalize; with S = max(H, W) for non-square inputs, and PIL's convert("L") for one channel.
    /// </summary>
    [Theory]
    [InlineData(224, 224, 3, 3)]
    [InlineData(96, 96, 3, 3)]
    [InlineData(160, 160, 4, 3)]
    [InlineData(224, 160, 3, 3)]
    [InlineData(120, 200, 3, 3)]
    [InlineData(28, 28, 3, 1)]
    [InlineData(33, 47, 4, 1)]
    public void Preprocessing_equals_torchvision_bit_for_bit(int height, int width, int pixelChannels, int modelChannels)
    {
        string python = Reference.RequirePython();
        var probe = TestEnv.Run(python, new[] { "-c", "import torchvision, PIL" });
        TestEnv.Require(probe.ExitCode == 0, "torchvision and PIL", "install Debian's python3-torchvision and python3-pil, as test.sh does as root");
        string image = TestEnv.Repo("samples", "ImageClassifier", "sample.png");
        string expectedPath = Path.Combine(TestEnv.NewTempDir("pre"), "x.f32");
        float[] mean = modelChannels == 3 ? MicroNet.Aot.Runtime.Preprocessing.ImageNetMean.ToArray() : new[] { 0.5f };
        float[] std = modelChannels == 3 ? MicroNet.Aot.Runtime.Preprocessing.ImageNetStd.ToArray() : new[] { 0.25f };
        const string script =
            "import sys, torch\nfrom PIL import Image\nimport torchvision.transforms as T\n" +
            "h, w, mode = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]\n" +
            "mean = [float(v) for v in sys.argv[6].split(',')]; std = [float(v) for v in sys.argv[7].split(',')]\n" +
            "t = T.Compose([T.Resize(int(max(h, w) / 0.875)), T.CenterCrop((h, w)), T.ToTensor(), T.Normalize(mean, std)])\n" +
            "x = t(Image.open(sys.argv[1]).convert('RGB').convert(mode))\nopen(sys.argv[2], 'wb').write(x.contiguous().numpy().astype('<f4').tobytes())\n";
        string Csv(float[] v) => string.Join(",", v.Select(f => f.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
        var r = TestEnv.Run(python, new[] { "-c", script, image, expectedPath, height.ToString(), width.ToString(), modelChannels == 3 ? "RGB" : "L", Csv(mean), Csv(std) });
        Assert.True(r.ExitCode == 0, r.ToString());
        float[] expected = ModelFixtures.ReadFloats(expectedPath);

        using var stream = File.OpenRead(image);
        var decoded = StbImageSharp.ImageResult.FromStream(stream, pixelChannels == 4 ? StbImageSharp.ColorComponents.RedGreenBlueAlpha : StbImageSharp.ColorComponents.RedGreenBlue);
        var actual = new float[modelChannels * height * width];
        MicroNet.Aot.Runtime.Preprocessing.ImageNet(decoded.Data, decoded.Width, decoded.Height, pixelChannels, height, width, mean, std, actual);
        Assert.Equal(expected.Length, actual.Length);
        int differing = Enumerable.Range(0, actual.Length).Count(i => actual[i] != expected[i]);
        Assert.True(differing == 0, differing + " of " + actual.Length + " values differ from torchvision's");
    }
}
