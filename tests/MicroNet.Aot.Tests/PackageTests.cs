using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using MicroNet.Aot.Tests.Infrastructure;
using Xunit;

namespace MicroNet.Aot.Tests;

/// <summary>
/// The packages as a user gets them: `dotnet pack` of the solution into a temporary feed (exactly
/// three packages, each laid out as NuGet and the SDK expect), then, outside the repository, with
/// its own package folder and a nuget.config that adds the feed: the CLI installed as a dotnet
/// tool imports a checkpoint, and a fresh `dotnet new console` project holding only the
/// PackageReference and one MicroNetModel item builds with zero warnings, runs, and
/// NativeAOT-publishes (linux-x64; linux-arm64 under qemu when the cross toolchain is present),
/// its outputs equal to the PyTorch reference's.
/// </summary>
public class PackageTests
{
    private static readonly string Version =
        Regex.Match(File.ReadAllText(TestEnv.Repo("Directory.Build.props")), @"<MicroNetAotVersion>([^<]+)</MicroNetAotVersion>").Groups[1].Value;

    /// <summary>Release or Debug: the configuration these tests were built in (the solution's outputs the pack reuses).</summary>
    private static string Configuration => TestEnv.BaseDir.Contains("/bin/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";

    /// <summary>The feed, the isolated package folder and nuget.config, made once for the class.</summary>
    private sealed class Feed
    {
        public required string Root { get; init; }
        public required string Directory { get; init; }
        public required string Packages { get; init; }
        public required string NuGetConfig { get; init; }
        public required string[] Files { get; init; }

        /// <summary>The environment of every dotnet command against the feed: the isolated package folder, no first-run noise.</summary>
        public Dictionary<string, string?> Environment => new()
        {
            ["NUGET_PACKAGES"] = Packages,
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
            // a test run sets these for its own build; the consumer is a project of its own
            ["MSBuildExtensionsPath"] = null,
            ["MSBuildSDKsPath"] = null,
            ["MSBUILD_EXE_PATH"] = null,
        };
    }

    private static readonly Lazy<Feed> Packed = new(MakeFeed, System.Threading.LazyThreadSafetyMode.ExecutionAndPublication);

    private static Feed MakeFeed()
    {
        Assert.False(string.IsNullOrEmpty(Version), "no MicroNetAotVersion in Directory.Build.props");
        string root = TestEnv.NewTempDir("packages");
        Assert.False(File.Exists(Path.Combine(root, "..", "Directory.Build.props")), "the consumer must live outside any Directory.Build.props");
        string feed = Path.Combine(root, "feed");
        // --no-build: the solution's own outputs (built by `dotnet test`), so that no second build
        // runs beside the tests' other builds
        var pack = TestEnv.Run(TestEnv.Dotnet, new[] { "pack", TestEnv.Repo("MicroNet.Aot.sln"), "-c", Configuration, "--no-build", "-o", feed, "--nologo" }, TimeSpan.FromMinutes(10));
        Assert.True(pack.ExitCode == 0, "dotnet pack failed (build the solution first: test.sh's `dotnet test MicroNet.Aot.sln` does):\n" + pack);
        Assert.DoesNotMatch(@"\bwarning\b", pack.Stdout);

        // NuGet's own cache of this machine serves the SDK's packages (ILCompiler, runtime packs)
        // without the network; MicroNet.Aot* may come from the feed only (package source mapping),
        // and restore into a folder of its own (globalPackagesFolder), so nothing restored before counts.
        string packages = Path.Combine(root, "packages");
        string machineCache = System.Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } env ? env
            : Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string config = Path.Combine(root, "nuget.config");
        var sources = new XElement("packageSources", new XElement("clear"), new XElement("add", new XAttribute("key", "micronet-feed"), new XAttribute("value", feed)));
        var mapping = new XElement("packageSourceMapping",
            new XElement("packageSource", new XAttribute("key", "micronet-feed"), new XElement("package", new XAttribute("pattern", "MicroNet.Aot*"))));
        var other = new XElement("packageSource", new XAttribute("key", "nuget.org"), new XElement("package", new XAttribute("pattern", "*")));
        if (System.IO.Directory.Exists(machineCache))
        {
            sources.Add(new XElement("add", new XAttribute("key", "machine-cache"), new XAttribute("value", machineCache)));
            mapping.Add(new XElement("packageSource", new XAttribute("key", "machine-cache"), new XElement("package", new XAttribute("pattern", "*"))));
        }
        sources.Add(new XElement("add", new XAttribute("key", "nuget.org"), new XAttribute("value", "https://api.nuget.org/v3/index.json")));
        mapping.Add(other);
        new XDocument(new XElement("configuration",
            new XElement("config", new XElement("add", new XAttribute("key", "globalPackagesFolder"), new XAttribute("value", packages))),
            sources, mapping)).Save(config);
        return new Feed
        {
            Root = root, Directory = feed, Packages = packages, NuGetConfig = config,
            Files = System.IO.Directory.GetFiles(feed).Select(Path.GetFileName).OrderBy(f => f, StringComparer.Ordinal).ToArray()!,
        };
    }

    private static XElement Nuspec(ZipArchive zip, string id)
    {
        var entry = zip.GetEntry(id + ".nuspec") ?? throw new InvalidDataException("no " + id + ".nuspec in the package");
        using var s = entry.Open();
        return XDocument.Load(s).Root!;
    }

    private static IEnumerable<XElement> All(XElement e, string name) => e.Descendants().Where(d => d.Name.LocalName == name);
    private static XElement One(XElement e, string name) => Assert.Single(All(e, name));

    [Fact]
    public void Pack_of_the_solution_yields_exactly_the_three_packages_laid_out_for_NuGet()
    {
        var feed = Packed.Value;
        Assert.Equal(new[] { $"MicroNet.Aot.{Version}.nupkg", $"MicroNet.Aot.Cli.{Version}.nupkg", $"MicroNet.Aot.Runtime.{Version}.nupkg" }, feed.Files);

        var expected = new Dictionary<string, string[]>
        {
            ["MicroNet.Aot"] = new[]
            {
                "analyzers/dotnet/cs/MicroNet.Aot.Generator.dll",
                "build/MicroNet.Aot.props", "build/MicroNet.Aot.targets",
                "buildTransitive/MicroNet.Aot.props", "buildTransitive/MicroNet.Aot.targets",
                "lib/net8.0/_._",
            },
            ["MicroNet.Aot.Runtime"] = new[]
            {
                "lib/net8.0/MicroNet.Aot.Runtime.dll", "lib/net8.0/MicroNet.Aot.Runtime.xml",
                "lib/net10.0/MicroNet.Aot.Runtime.dll", "lib/net10.0/MicroNet.Aot.Runtime.xml",
            },
            ["MicroNet.Aot.Cli"] = new[] { "tools/net10.0/any/micronet.dll", "tools/net10.0/any/DotnetToolSettings.xml" },
        };
        foreach (var (id, files) in expected)
        {
            using var zip = ZipFile.OpenRead(Path.Combine(feed.Directory, $"{id}.{Version}.nupkg"));
            var entries = zip.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
            TestContext.Current.TestOutputHelper?.WriteLine(id + ":\n  " + string.Join("\n  ", entries.OrderBy(e => e, StringComparer.Ordinal)));
            foreach (var f in files.Concat(new[] { "README.md", "LICENSE", "THIRD-PARTY-NOTICES.md" }))
                Assert.True(entries.Contains(f), $"{id}: {f} missing");
            if (id == "MicroNet.Aot")
                Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal) && e.EndsWith(".dll", StringComparison.Ordinal)); // the generator is not a reference
            Assert.DoesNotContain(entries, e => e.EndsWith(".pdb", StringComparison.Ordinal)); // embedded in the DLLs

            var nuspec = Nuspec(zip, id);
            Assert.Equal(id, One(nuspec, "id").Value);
            Assert.Equal(Version, One(nuspec, "version").Value);
            Assert.Matches(@"^0\.\d+\.\d+", Version); // SemVer, 0.x until the format is declared stable
            var license = One(nuspec, "license");
            Assert.Equal("expression", license.Attribute("type")?.Value);
            Assert.Equal("MIT", license.Value);
            Assert.Equal("README.md", One(nuspec, "readme").Value);
            Assert.StartsWith("https://", One(nuspec, "projectUrl").Value);
            Assert.NotEqual("Package Description", One(nuspec, "description").Value);
            Assert.True(One(nuspec, "description").Value.Length > 60, id + ": a description that says what the package is");
            Assert.False(string.IsNullOrWhiteSpace(One(nuspec, "authors").Value));
            var repository = One(nuspec, "repository");
            Assert.Equal("git", repository.Attribute("type")?.Value);
            Assert.StartsWith("https://", repository.Attribute("url")?.Value);
            Assert.Matches("^[0-9a-f]{40}$", repository.Attribute("commit")?.Value ?? ""); // the commit it was built from

            using (var readme = new StreamReader(zip.GetEntry("README.md")!.Open()))
            {
                string text = readme.ReadToEnd();
                Assert.True(text.Length > 400 && text.Contains(id, StringComparison.Ordinal), id + ": its README.md is not a real package readme:\n" + text);
            }
        }

        // the package's one dependency: the Runtime, at the same version, for net8.0 and later
        using (var zip = ZipFile.OpenRead(Path.Combine(feed.Directory, $"MicroNet.Aot.{Version}.nupkg")))
        {
            var group = Assert.Single(All(Nuspec(zip, "MicroNet.Aot"), "group"));
            Assert.Equal("net8.0", group.Attribute("targetFramework")?.Value);
            var dependency = Assert.Single(All(group, "dependency"));
            Assert.Equal("MicroNet.Aot.Runtime", dependency.Attribute("id")?.Value);
            Assert.Equal(Version, dependency.Attribute("version")?.Value);
        }
        // the CLI is a dotnet tool whose command is `micronet`
        using (var zip = ZipFile.OpenRead(Path.Combine(feed.Directory, $"MicroNet.Aot.Cli.{Version}.nupkg")))
        {
            Assert.Equal("DotnetTool", One(Nuspec(zip, "MicroNet.Aot.Cli"), "packageType").Attribute("name")?.Value);
            using var settings = zip.GetEntry("tools/net10.0/any/DotnetToolSettings.xml")!.Open();
            var command = All(XDocument.Load(settings).Root!, "Command").Single();
            Assert.Equal("micronet", command.Attribute("Name")?.Value);
            Assert.Equal("micronet.dll", command.Attribute("EntryPoint")?.Value);
        }
    }

    private const string ConsumerProgram = """
        // A console app that uses a MicroNet model from the package: INPUT.f32 -> OUTPUT.f32, then
        // the top class. (The .f32 files are raw little-endian float32, NCHW.)
        using System.Runtime.InteropServices;

        if (args.Length != 2) { Console.Error.WriteLine("usage: app INPUT.f32 OUTPUT.f32"); return 2; }
        float[] input = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(args[0])).ToArray();
        var output = new float[App.M0.OutputLength];
        App.M0.Run(input, output);
        File.WriteAllBytes(args[1], MemoryMarshal.AsBytes(output.AsSpan()).ToArray());
        var best = App.M0.Classify(input);
        Console.WriteLine($"top-1: {best.Index} {best.Label} {best.Probability:R} ({App.M0.Labels.Length} labels)");
        return 0;
        """;

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]) / Math.Max(1.0, Math.Abs(expected[i]));
            Assert.True(error <= 1e-4, $"{what}: output {i} is {actual[i]:R}, the reference's {expected[i]:R}");
        }
    }

    /// <summary>Runs a built or published consumer on the input and checks its output and top-1 line against the reference.</summary>
    private static void RunConsumer(string file, IEnumerable<string> prefix, string input, float[] expected, string what)
    {
        string output = Path.Combine(Path.GetDirectoryName(input)!, what.Replace(' ', '-') + ".f32");
        var r = TestEnv.Run(file, prefix.Concat(new[] { input, output }), TimeSpan.FromMinutes(5));
        Assert.True(r.ExitCode == 0, what + ":\n" + r);
        AssertClose(expected, ModelFixtures.ReadFloats(output), what);
        int top = Array.IndexOf(expected, expected.Max());
        Assert.Contains($"top-1: {top} n{top:D4} ", r.Stdout); // the label from --labels
        Assert.Contains("(1000 labels)", r.Stdout);
    }

    [Fact]
    public void A_console_project_with_only_the_package_and_one_item_builds_runs_and_publishes_like_the_reference()
    {
        var feed = Packed.Value;
        Reference.RequirePython();
        string work = Path.Combine(feed.Root, "consumer");
        Directory.CreateDirectory(work);
        var env = feed.Environment;

        // the CLI as a dotnet tool, into a tool path of its own
        string tools = Path.Combine(work, "tools");
        var install = TestEnv.Run(TestEnv.Dotnet, new[] { "tool", "install", "MicroNet.Aot.Cli", "--version", Version, "--tool-path", tools, "--configfile", feed.NuGetConfig },
            TimeSpan.FromMinutes(5), env, work);
        Assert.True(install.ExitCode == 0, "dotnet tool install failed:\n" + install);
        string micronet = Path.Combine(tools, "micronet");
        Assert.True(File.Exists(micronet), "no micronet command in " + tools);

        // a fresh console project; the package added as a user would
        File.Copy(feed.NuGetConfig, Path.Combine(work, "nuget.config"));
        var created = TestEnv.Run(TestEnv.Dotnet, new[] { "new", "console", "-o", "App", "--name", "App" }, TimeSpan.FromMinutes(2), env, work);
        Assert.True(created.ExitCode == 0, created.ToString());
        string app = Path.Combine(work, "App");
        var added = TestEnv.Run(TestEnv.Dotnet, new[] { "add", Path.Combine(app, "App.csproj"), "package", "MicroNet.Aot", "--version", Version }, TimeSpan.FromMinutes(5), env, work);
        Assert.True(added.ExitCode == 0, "dotnet add package failed:\n" + added);

        // micronet import, with labels (1,000: n0000 ... n0999), into the project's Models/
        string labels = Path.Combine(work, "labels.txt");
        File.WriteAllLines(labels, Enumerable.Range(0, 1000).Select(i => $"n{i:D4}"));
        string checkpoint = TestEnv.Repo("Models", "checkpoints", "micronet-m0-random-seed1.pth");
        var import = TestEnv.Run(micronet, new[] { "import", checkpoint, "--preset", "m0", "--name", "M0", "--out", Path.Combine(app, "Models"), "--labels", labels },
            TimeSpan.FromMinutes(5), env, work);
        Assert.True(import.ExitCode == 0, "micronet import (the installed tool) failed:\n" + import);
        Assert.Contains("wrote ", import.Stdout); // the summary on stdout
        Assert.True(File.Exists(Path.Combine(app, "Models", "M0.micronet.json")) && File.Exists(Path.Combine(app, "Models", "M0.weights.bin")));

        // the one item; the project holds nothing else of ours
        string csprojPath = Path.Combine(app, "App.csproj");
        string csproj = File.ReadAllText(csprojPath);
        csproj = csproj.Replace("</Project>", "  <ItemGroup>\n    <MicroNetModel Include=\"Models/M0.micronet.json\" />\n  </ItemGroup>\n</Project>");
        File.WriteAllText(csprojPath, csproj);
        Assert.Matches($@"<PackageReference Include=""MicroNet.Aot"" Version=""{Regex.Escape(Version)}"" />", csproj);
        foreach (var absent in new[] { "<Import", "ProjectReference", "AllowUnsafeBlocks", "Analyzer", "MicroNet.Aot.Runtime", "EmbeddedResource", "AdditionalFiles" })
            Assert.DoesNotContain(absent, csproj);
        File.WriteAllText(Path.Combine(app, "Program.cs"), ConsumerProgram);
        TestContext.Current.TestOutputHelper?.WriteLine(csproj);

        // build: zero warnings
        var build = TestEnv.Run(TestEnv.Dotnet, new[] { "build", csprojPath, "-c", "Release", "--nologo" }, TimeSpan.FromMinutes(5), env, work);
        Assert.True(build.ExitCode == 0, "build failed:\n" + build);
        Assert.Matches(@"\b0 Warning\(s\)", build.Stdout);
        Assert.True(Directory.Exists(Path.Combine(feed.Packages, "micronet.aot", Version)), "MicroNet.Aot was not restored into the isolated package folder");

        // the reference on a seeded input
        string arch = TestEnv.Repo("Models", "presets", "m0.json");
        string input = Path.Combine(work, "x.f32"), reference = Path.Combine(work, "reference.f32");
        Reference.Run("random-input", "--arch", arch, "--seed", "11", "--batch", "1", "--out", input);
        Reference.Run("run", "--arch", arch, "--checkpoint", checkpoint, "--input", input, "--output", reference);
        float[] expected = ModelFixtures.ReadFloats(reference);
        Assert.Equal(1000, expected.Length);

        RunConsumer(TestEnv.Dotnet, new[] { Path.Combine(app, "bin", "Release", "net10.0", "App.dll") }, input, expected, "jit");

        // NativeAOT, linux-x64: no warnings, same outputs
        string x64 = Path.Combine(work, "publish-x64");
        var publish = TestEnv.Run(TestEnv.Dotnet, new[] { "publish", csprojPath, "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-o", x64, "--nologo" },
            TimeSpan.FromMinutes(10), env, work);
        Assert.True(publish.ExitCode == 0, "NativeAOT publish failed:\n" + publish);
        Assert.DoesNotMatch(@"\bwarning\b", publish.Stdout);
        RunConsumer(Path.Combine(x64, "App"), Array.Empty<string>(), input, expected, "nativeaot x64");

        // NativeAOT, linux-arm64 (cross-published, run under qemu) where the toolchain is here
        bool cross = new[] { "qemu-aarch64", "clang", "ld.lld", "aarch64-linux-gnu-objcopy" }.All(c => File.Exists(Path.Combine("/usr/bin", c))) && Directory.Exists("/usr/aarch64-linux-gnu");
        TestEnv.Require(cross, "the ARM64 cross toolchain and qemu-aarch64 (for the arm64 half of this test; x64 passed)",
            "Debian packages clang lld binutils-aarch64-linux-gnu gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user; test.sh installs them as root");
        string arm64 = Path.Combine(work, "publish-arm64");
        var crossPublish = TestEnv.Run("bash", new[] { TestEnv.Repo("tools", "arm64", "publish.sh"), app, arm64 }, TimeSpan.FromMinutes(10), env, work);
        Assert.True(crossPublish.ExitCode == 0, "linux-arm64 publish failed:\n" + crossPublish);
        Assert.DoesNotMatch(@"\bwarning\b", crossPublish.Stdout);
        RunConsumer("qemu-aarch64", new[] { "-L", "/usr/aarch64-linux-gnu", Path.Combine(arm64, "App") }, input, expected, "nativeaot arm64 (qemu)");
    }

    /// <summary>
    /// Mistakes a package user makes still end in diagnostics that say what and where: a broken model
    /// file is an MNA error located in the JSON (file, line, column), and a reference that excludes
    /// the package's build assets (so the targets never run) is warning MNA0030, not silence.
    /// </summary>
    [Fact]
    public void A_package_consumer_gets_located_diagnostics()
    {
        var feed = Packed.Value;
        string work = Path.Combine(feed.Root, "diagnostics");
        Directory.CreateDirectory(work);
        File.Copy(feed.NuGetConfig, Path.Combine(work, "nuget.config"));
        var env = feed.Environment;
        string Project(string name, string packageReference, string item)
        {
            string dir = Path.Combine(work, name);
            Directory.CreateDirectory(Path.Combine(dir, "Models"));
            File.WriteAllText(Path.Combine(dir, name + ".csproj"),
                "<Project Sdk=\"Microsoft.NET.Sdk\">\n" +
                "  <PropertyGroup>\n    <OutputType>Exe</OutputType>\n    <TargetFramework>net10.0</TargetFramework>\n    <Nullable>enable</Nullable>\n  </PropertyGroup>\n" +
                "  <ItemGroup>\n    " + packageReference + "\n    " + item + "\n  </ItemGroup>\n</Project>\n");
            return dir;
        }

        // the Tiny model with a comma missing after "classes": 4
        string broken = Project("Broken", $"<PackageReference Include=\"MicroNet.Aot\" Version=\"{Version}\" />", "<MicroNetModel Include=\"Models/Tiny.micronet.json\" />");
        string json = File.ReadAllText(Path.Combine(TestEnv.BaseDir, "models", "Tiny.micronet.json"));
        Assert.Contains("\"classes\": 4,", json);
        File.WriteAllText(Path.Combine(broken, "Models", "Tiny.micronet.json"), json.Replace("\"classes\": 4,", "\"classes\": 4"));
        File.Copy(Path.Combine(TestEnv.BaseDir, "models", "Tiny.weights.bin"), Path.Combine(broken, "Models", "Tiny.weights.bin"));
        File.WriteAllText(Path.Combine(broken, "Program.cs"), "System.Console.WriteLine(Broken.Tiny.OutputLength);\n");
        int line = json[..json.IndexOf("\"classes\": 4,", StringComparison.Ordinal)].Count(c => c == '\n') + 2; // the token after the missing comma
        var r = TestEnv.Run(TestEnv.Dotnet, new[] { "build", broken, "-c", "Release", "--nologo" }, TimeSpan.FromMinutes(5), env, work);
        Assert.True(r.ExitCode != 0, "a broken model file built:\n" + r);
        Assert.Matches($@"Models/Tiny\.micronet\.json\({line},\d+\): error MNA0001: ", r.Stdout);
        Assert.DoesNotContain("error CS", r.Stdout); // the stub keeps the consumer's code compiling

        // the package's build assets excluded: the targets never run, and the generator says so
        string excluded = Project("Excluded", $"<PackageReference Include=\"MicroNet.Aot\" Version=\"{Version}\" ExcludeAssets=\"build;buildTransitive\" />",
            "<MicroNetModel Include=\"Models/Tiny.micronet.json\" />");
        File.WriteAllText(Path.Combine(excluded, "Program.cs"), "System.Console.WriteLine(1);\n");
        r = TestEnv.Run(TestEnv.Dotnet, new[] { "build", excluded, "-c", "Release", "--nologo" }, TimeSpan.FromMinutes(5), env, work);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Matches(@"warning MNA0030: .*MicroNet\.Aot\.targets", r.Stdout);
    }
}
