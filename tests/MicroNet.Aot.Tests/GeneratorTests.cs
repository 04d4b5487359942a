extern alias generator;
using System;
using System.Globalization;
using System.IO;
using System.Linq;
using MicroNet.Aot.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;
using TrackingNames = generator::MicroNet.Aot.MicroNetGenerator.TrackingNames;

namespace MicroNet.Aot.Tests;

/// <summary>The source generator itself: golden output, determinism, incrementality, diagnostics.</summary>
public class GeneratorTests
{
    private static string TinyPath => Path.Combine(TestEnv.BaseDir, "models", "Tiny.micronet.json");
    private static GeneratorHarness.ModelItem Tiny => GeneratorHarness.ModelItem.FromFile(TinyPath, null, "Tests.Models");
    private static string TinyInt8Path => Path.Combine(TestEnv.BaseDir, "models", "TinyInt8.micronet.json");
    private static GeneratorHarness.ModelItem TinyInt8 => GeneratorHarness.ModelItem.FromFile(TinyInt8Path, null, "Tests.Models");

    private static string GenerateSource(GeneratorHarness.ModelItem item)
    {
        var result = GeneratorHarness.Generate(item);
        Assert.True(result.Diagnostics.IsEmpty, string.Join("\n", result.Diagnostics));
        return Assert.Single(result.GeneratedSources).SourceText.ToString();
    }

    /// <summary>A model whose generated source is kept in golden/ (NAME.g.cs).</summary>
    public sealed record GoldenModel(string Name, string Path, bool Int8 = false)
    {
        public override string ToString() => Name;
    }

    private static readonly Lazy<GoldenModel[]> Goldens = new(() => new[]
    {
        new GoldenModel("Tiny", TinyPath),
        // every block kind of the test table at 128x128: in-place Shift-Max (32x32 planes) with two
        // coefficients, residual adds through channel maps, unfused depthwise layers, the grouped k x 1
        new GoldenModel("CustomMixed", SyntheticModels.Write(TestEnv.Config("custom-mixed.json"), "CustomMixed", 128)),
        // Tiny quantized by `micronet quantize` (random calibration inputs): the int8 emitter
        new GoldenModel("TinyInt8", TinyInt8Path, Int8: true),
    });

    public static GoldenModel[] GoldenModels => Goldens.Value;

    public static TheoryData<string> GoldenNames => new("Tiny", "CustomMixed", "TinyInt8");

    [Theory]
    [MemberData(nameof(GoldenNames))]
    public void Generated_source_matches_the_golden_file(string name)
    {
        var model = GoldenModels.Single(m => m.Name == name);
        string actual = GenerateSource(GeneratorHarness.ModelItem.FromFile(model.Path, null, "Tests.Models"));
        string golden = Path.Combine(TestEnv.BaseDir, "golden", name + ".g.cs");
        if (Environment.GetEnvironmentVariable("MICRONET_UPDATE_GOLDEN") == "1")
        {
            // run from the repository: MICRONET_UPDATE_GOLDEN=1 dotnet test --filter Golden
            File.WriteAllText(TestEnv.Repo("tests", "MicroNet.Aot.Tests", "golden", name + ".g.cs"), actual);
            File.WriteAllText(golden, actual);
        }
        Assert.True(File.Exists(golden), "golden file missing: run with MICRONET_UPDATE_GOLDEN=1 once");
        string expected = File.ReadAllText(golden).Replace("\r\n", "\n");
        if (expected != actual)
        {
            var e = expected.Split('\n'); var a = actual.Split('\n');
            int line = Enumerable.Range(0, Math.Min(e.Length, a.Length)).FirstOrDefault(i => e[i] != a[i], Math.Min(e.Length, a.Length));
            Assert.Fail($"generated source differs from golden/{name}.g.cs at line {line + 1}:\n  golden:    {(line < e.Length ? e[line] : "<end>")}\n  generated: {(line < a.Length ? a[line] : "<end>")}\n" +
                "If the change is intended, rerun with MICRONET_UPDATE_GOLDEN=1 and review the diff.");
        }
    }

    /// <summary>The second golden model's source compiles and runs (Tiny's is covered below; the parity tests check the numbers).</summary>
    [Fact]
    public void The_second_golden_model_compiles_and_runs()
    {
        var model = GoldenModels.Single(m => m.Name == "CustomMixed");
        using var compiled = GeneratorHarness.Compile(GeneratorHarness.ModelItem.FromFile(model.Path));
        var output = new float[compiled.OutputLength];
        var input = Enumerable.Range(0, compiled.InputLength).Select(i => MathF.Sin(i * 0.37f)).ToArray();
        compiled.Run(input, output);
        Assert.All(output, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Generated_source_is_deterministic_and_culture_independent()
    {
        string first = GenerateSource(Tiny), firstInt8 = GenerateSource(TinyInt8);
        var saved = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = new CultureInfo("de-DE"); // decimal comma, other digit grouping
            Assert.Equal(first, GenerateSource(Tiny));
            Assert.Equal(firstInt8, GenerateSource(TinyInt8)); // scales and multipliers are floats too
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
        Assert.DoesNotContain(Path.GetDirectoryName(TinyPath)!, first); // no absolute paths in the output
        Assert.Matches(@"ShiftMax.Coefficients\(x: ref coeff, bias: fc2Bias, n: \d+, scale: 4f\);", first); // act_max 2.0 -> scale 4f, invariant formatting
        Assert.DoesNotContain(Path.GetDirectoryName(TinyInt8Path)!, firstInt8);
        Assert.Matches(@"public const float InputScale = \d+\.\d+(E-?\d+)?f;", firstInt8);
    }

    /// <summary>
    /// A generator referenced without MicroNet.Aot.targets never sees MicroNetModel items: it says
    /// so (MNA0030, a warning, once), instead of generating nothing silently.
    /// </summary>
    [Fact]
    public void Without_the_targets_the_generator_warns_MNA0030_once()
    {
        var ct = TestContext.Current.CancellationToken;
        var run = GeneratorHarness.NewDriver(Array.Empty<GeneratorHarness.ModelItem>(), targetsImported: false)
            .RunGenerators(GeneratorHarness.NewCompilation("class A { }"), ct).GetRunResult().Results.Single();
        Assert.Null(run.Exception);
        var d = Assert.Single(run.Diagnostics);
        Assert.Equal("MNA0030", d.Id);
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
        Assert.Contains("MicroNet.Aot.targets", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(run.GeneratedSources);

        var imported = GeneratorHarness.NewDriver(new[] { Tiny }).RunGenerators(GeneratorHarness.NewCompilation("class A { }"), ct).GetRunResult().Results.Single();
        Assert.Empty(imported.Diagnostics);
        Assert.Single(imported.GeneratedSources);
    }

    [Theory]
    [InlineData("float")]
    [InlineData("int8")]
    public void An_unrelated_edit_leaves_every_step_cached(string kind)
    {
        var compilation = GeneratorHarness.NewCompilation("class A { }");
        var driver = GeneratorHarness.NewDriver(new[] { kind == "int8" ? TinyInt8 : Tiny }).RunGenerators(compilation, TestContext.Current.CancellationToken);
        var edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("class B { int x = 1; }", new CSharpParseOptions(LanguageVersion.Latest), cancellationToken: TestContext.Current.CancellationToken));
        driver = driver.RunGenerators(edited, TestContext.Current.CancellationToken);
        var run = driver.GetRunResult().Results.Single();
        Assert.Null(run.Exception);
        var tracked = run.TrackedSteps;
        foreach (var name in new[] { TrackingNames.Inputs, TrackingNames.Plans, TrackingNames.Results, TrackingNames.Collected })
        {
            Assert.True(tracked.ContainsKey(name), "step " + name + " was not tracked");
            foreach (var step in tracked[name])
                foreach (var (_, reason) in step.Outputs)
                    Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, name + " re-ran: " + reason);
        }
        Assert.All(run.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    /// <summary>
    /// One driver across edits (as the IDE keeps it): the first run is New everywhere; rerun unchanged,
    /// every step is Cached or Unchanged; a whitespace edit of the model changes the input (Modified)
    /// but not the plan (Unchanged), so the printed source is reused (Cached); a real edit (the
    /// input's mean) changes the plan and reprints the source.
    /// </summary>
    [Fact]
    public void Editing_the_model_reruns_only_what_it_changes()
    {
        var ct = TestContext.Current.CancellationToken;
        var compilation = GeneratorHarness.NewCompilation("class A { }");
        var tiny = Tiny;
        var texts = new System.Collections.Generic.List<AdditionalText>();
        GeneratorDriver driver = GeneratorHarness.NewDriver(new[] { tiny }, texts: texts);
        IncrementalStepRunReason[] Reasons(GeneratorDriver d, string step) =>
            d.GetRunResult().Results.Single().TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();
        string Source(GeneratorDriver d) => Assert.Single(d.GetRunResult().GeneratedTrees).GetText(ct).ToString();

        driver = driver.RunGenerators(compilation, ct);
        Assert.All(Reasons(driver, TrackingNames.Plans), r => Assert.Equal(IncrementalStepRunReason.New, r));
        Assert.All(Reasons(driver, TrackingNames.Results), r => Assert.Equal(IncrementalStepRunReason.New, r));
        string first = Source(driver);

        driver = driver.RunGenerators(compilation, ct);
        foreach (var step in new[] { TrackingNames.Inputs, TrackingNames.Plans, TrackingNames.Results })
            Assert.All(Reasons(driver, step), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, step + ": " + r));

        var spaced = new GeneratorHarness.InMemoryText(tiny.Path, tiny.Text.Replace("\"classes\": 4", "\"classes\":    4"));
        driver = driver.ReplaceAdditionalText(texts[0], spaced).RunGenerators(compilation, ct);
        Assert.Equal(new[] { IncrementalStepRunReason.Modified }, Reasons(driver, TrackingNames.Inputs));
        Assert.Equal(new[] { IncrementalStepRunReason.Unchanged }, Reasons(driver, TrackingNames.Plans));
        Assert.Equal(new[] { IncrementalStepRunReason.Cached }, Reasons(driver, TrackingNames.Results));
        Assert.Equal(first, Source(driver));

        var meanEdited = new GeneratorHarness.InMemoryText(tiny.Path, tiny.Text.Replace("\"mean\": [0.485,", "\"mean\": [0.5,"));
        Assert.NotEqual(tiny.Text, meanEdited.GetText(ct)!.ToString());
        driver = driver.ReplaceAdditionalText(spaced, meanEdited).RunGenerators(compilation, ct);
        Assert.Equal(new[] { IncrementalStepRunReason.Modified }, Reasons(driver, TrackingNames.Plans));
        Assert.Equal(new[] { IncrementalStepRunReason.Modified }, Reasons(driver, TrackingNames.Results));
        string edited = Source(driver);
        Assert.NotEqual(first, edited);
        Assert.Contains("InputMean => new float[] { 0.5f,", edited);
    }

    public static TheoryData<string, string, string, string> BrokenModels => new()
    {
        // (replace, with, expected diagnostic, text the diagnostic points at)
        { "\"classes\": 4,", "\"classes\": 4", "MNA0001", "\"stem\"" },
        { "\"classes\": 4,", "", "MNA0002", "{" },
        { "\"classes\": 4,", "\"classes\": 4, \"extra\": true,", "MNA0003", "\"extra\"" },
        { "\"classes\": 4,", "\"classes\": \"four\",", "MNA0004", "\"four\"" },
        { "\"height\": 32", "\"height\": -48", "MNA0005", "-48" },
        { "\"height\": 32", "\"height\": 0", "MNA0005", "0, \"width\"" },
        { "\"format\": \"micronet/1\"", "\"format\": \"micronet/9\"", "MNA0006", "\"micronet/9\"" },
        { "\"g2\":   4, \"c3\":   8", "\"g2\":   3, \"c3\":   8", "MNA0007", "3, \"c3\":   8" },
        { "\"shape\": [2, 3, 3, 1]", "\"shape\": [2, 3, 1, 3]", "MNA0008", "[2, 3, 1, 3]" },
        { "\"name\": \"features.0.stem.0.conv.0.bias\"", "\"name\": \"features.0.stem.0.conv.0.b\"", "MNA0008", "\"features.0.stem.0.conv.0.b\"" },
    };

    [Theory]
    [MemberData(nameof(BrokenModels))]
    public void Broken_models_give_one_diagnostic_at_the_right_place_and_only_a_stub(string from, string to, string id, string at)
    {
        Assert.Contains(from, Tiny.Text);
        string text = Tiny.Text.Replace(from, to);
        var result = GeneratorHarness.Generate(Tiny with { Text = text });
        AssertOnlyStub(result, id);
        var d = Assert.Single(result.Diagnostics);
        Assert.Equal(id, d.Id);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        var span = d.Location.GetLineSpan();
        Assert.Equal(TinyPath, span.Path);
        int index = at == "{" ? 0 : text.IndexOf(at, StringComparison.Ordinal);
        Assert.True(index >= 0);
        Assert.Equal(index, d.Location.SourceSpan.Start);
    }

    [Fact]
    public void Item_metadata_problems_are_diagnostics()
    {
        var missing = GeneratorHarness.Generate(Tiny with { WeightsExist = false });
        Assert.Equal("MNA0009", Assert.Single(missing.Diagnostics).Id);
        AssertOnlyStub(missing, "MNA0009");

        var other = GeneratorHarness.Generate(Tiny with { WeightsFile = "Other.weights.bin" });
        Assert.Equal("MNA0013", Assert.Single(other.Diagnostics).Id);

        // the blob's SHA-256 as MSBuild hashed it: the JSON's (either case) builds; another is MNA0010 at weights.sha256
        string sha = System.Text.RegularExpressions.Regex.Match(Tiny.Text, "\"sha256\": \"([0-9a-f]{64})\"").Groups[1].Value;
        Assert.Equal(64, sha.Length);
        Assert.Empty(GeneratorHarness.Generate(Tiny with { WeightsSha256 = sha.ToUpperInvariant() }).Diagnostics);
        string otherSha = (sha[0] == '0' ? "1" : "0") + sha[1..];
        var mismatch = GeneratorHarness.Generate(Tiny with { WeightsSha256 = otherSha.ToUpperInvariant() });
        var d10 = Assert.Single(mismatch.Diagnostics);
        Assert.Equal("MNA0010", d10.Id);
        Assert.Contains(otherSha, d10.GetMessage());
        Assert.Equal(Tiny.Text.IndexOf("\"" + sha + "\"", StringComparison.Ordinal), d10.Location.SourceSpan.Start);
        AssertOnlyStub(mismatch, "MNA0010");

        var badClass = GeneratorHarness.Generate(Tiny with { ClassName = "class" });
        Assert.Equal("MNA0011", Assert.Single(badClass.Diagnostics).Id);

        // a class cannot have a member of its own name
        foreach (var member in new[] { "Run", "InputLength", "Weights", "L003_InputPlanes" })
        {
            var clash = GeneratorHarness.Generate(Tiny with { ClassName = member });
            Assert.Contains(member, Assert.Single(clash.Diagnostics, d => d.Id == "MNA0011").GetMessage(CultureInfo.InvariantCulture));
            Assert.Empty(clash.GeneratedSources);
        }

        var badNamespace = GeneratorHarness.Generate(Tiny with { Namespace = "My..Models" });
        Assert.Equal("MNA0011", Assert.Single(badNamespace.Diagnostics).Id);

        var twice = GeneratorHarness.Generate(Tiny, Tiny with { Path = TinyPath.Replace("Tiny.micronet", "Copy.micronet") });
        var duplicate = Assert.Single(twice.Diagnostics);
        Assert.Equal("MNA0012", duplicate.Id);
        Assert.Equal(TinyPath.Replace("Tiny.micronet", "Copy.micronet"), duplicate.Location.GetLineSpan().Path); // points at the second file
        Assert.Single(twice.GeneratedSources);
    }

    [Fact]
    public void Class_name_and_namespace_default_to_the_json_name_and_root_namespace()
    {
        var result = GeneratorHarness.Generate(Tiny with { Namespace = null });
        string source = Assert.Single(result.GeneratedSources).SourceText.ToString();
        Assert.Contains("namespace Tests.Root;", source);
        Assert.Contains("public static unsafe partial class Tiny", source);
    }

    [Theory]
    [InlineData("float")]
    [InlineData("int8")]
    public void The_generator_never_throws_on_mangled_input(string kind)
    {
        var random = new Random(1234);
        var item = kind == "int8" ? TinyInt8 : Tiny;
        string text = item.Text;
        for (int trial = 0; trial < 300; trial++)
        {
            var chars = text.ToCharArray();
            int edits = 1 + random.Next(4);
            for (int e = 0; e < edits; e++)
            {
                int at = random.Next(chars.Length);
                chars[at] = "{}[]:,\"0123456789-.eE aZ\n"[random.Next(25)];
            }
            var result = GeneratorHarness.Generate(item with { Text = new string(chars) });
            Assert.True(result.GeneratedSources.Length + result.Diagnostics.Length > 0);
            Assert.DoesNotContain(result.Diagnostics, d => d.Id == "MNA0099");
        }
    }

    [Fact]
    public void Per_layer_profiling_is_emitted_only_when_asked_for()
    {
        Assert.DoesNotContain("Stopwatch", GenerateSource(Tiny));
        var driver = GeneratorHarness.NewDriver(new[] { Tiny }, profile: true).RunGenerators(GeneratorHarness.NewCompilation(), TestContext.Current.CancellationToken);
        var result = driver.GetRunResult().Results.Single();
        Assert.Empty(result.Diagnostics);
        string source = Assert.Single(result.GeneratedSources).SourceText.ToString();
        Assert.Contains("public static string ProfileReport()", source);
        Assert.Contains("Stopwatch.GetTimestamp()", source);
        var compilation = GeneratorHarness.NewCompilation(source);
        var errors = compilation.GetDiagnostics(TestContext.Current.CancellationToken).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public void Tiny_model_compiles_and_runs()
    {
        using var model = GeneratorHarness.Compile(Tiny);
        var output = new float[model.OutputLength];
        var input = Enumerable.Range(0, model.InputLength).Select(i => MathF.Sin(i * 0.37f)).ToArray();
        model.Run(input, output);
        Assert.All(output, v => Assert.True(float.IsFinite(v)));
        Assert.True(output.Distinct().Count() == output.Length);
    }

    /// <summary>Every diagnostic ID the generator uses has a descriptor (an unknown ID would surface as MNA0099 naming it).</summary>
    [Fact]
    public void Every_diagnostic_id_has_a_descriptor()
    {
        var descriptors = typeof(generator::MicroNet.Aot.MicroNetGenerator).Assembly.GetType("MicroNet.Aot.Diagnostics.DiagnosticDescriptors", throwOnError: true)!;
        var ids = typeof(MicroNet.Aot.Model.IssueIds).GetFields().Concat(descriptors.GetFields().Where(f => f.IsLiteral))
            .Select(f => (string)f.GetRawConstantValue()!).ToList();
        Assert.True(ids.Count >= 14);
        var all = ((System.Collections.Generic.IEnumerable<DiagnosticDescriptor>)descriptors.GetProperty("All")!.GetValue(null)!).Select(d => d.Id).ToHashSet();
        Assert.All(ids, id => Assert.Contains(id, all));
    }

    /// <summary>
    /// Text from the model file cannot start a line of generated code: C# ends lines at CR, LF,
    /// U+0085, U+2028 and U+2029; each, in the description and in the model file's name, followed by a
    /// directive and a global using, leaves the source compiling as before, with no such line.
    /// </summary>
    [Theory]
    [InlineData("\r")]
    [InlineData("\n")]
    [InlineData("\u0085")]
    [InlineData("\u2028")]
    [InlineData("\u2029")]
    public void Model_text_cannot_inject_lines_into_generated_code(string terminator)
    {
        string payload = terminator + "#error injected" + terminator + "global using Run = System.Int32;" + terminator + "// ";
        string json = System.Text.Json.JsonSerializer.Serialize(payload); // a JSON string with the terminators escaped
        string text = Tiny.Text.Replace("\"description\": \"A tiny MicroNet", "\"description\": " + json[..^1] + " A tiny MicroNet");
        Assert.NotEqual(Tiny.Text, text);
        var item = Tiny with { Text = text, Path = TinyPath.Replace("Tiny.micronet.json", "Ti" + terminator + "#error x" + terminator + "ny.micronet.json") };
        var result = GeneratorHarness.Generate(item);
        Assert.Empty(result.Diagnostics);
        string source = Assert.Single(result.GeneratedSources).SourceText.ToString();
        var lines = source.Split(new[] { "\r\n", "\r", "\n", "\u0085", "\u2028", "\u2029" }, StringSplitOptions.None);
        Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith("#error") || l.TrimStart().StartsWith("global using"));
        Assert.Contains(@"\u" + ((int)terminator[0]).ToString("X4"), source); // kept, as inert escape text
        var errors = GeneratorHarness.NewCompilation(source).GetDiagnostics(TestContext.Current.CancellationToken).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    /// <summary>
    /// Types and namespaces of the consuming project named like the runtime's classes and the BCL
    /// types the generated code uses, in the model class's own namespace, change nothing: every name
    /// in generated code is global::-qualified.
    /// </summary>
    [Fact]
    public void Consumer_types_named_like_runtime_or_BCL_types_do_not_break_the_generated_code()
    {
        string source = GenerateSource(Tiny);
        string clashes = @"
namespace Tests.Models
{
    public class Depthwise { } public class Pointwise { } public class Elementwise { } public class ShiftMax { } public class Linear { }
    public class WeightBlob { } public class Unsafe { } public class MemoryMarshal { } public class Span<T> { } public class ReadOnlySpan<T> { }
    public class Math { } public class Array { } public class ArgumentException { } public class MethodImpl { } public class ThreadStatic { }
    namespace System { public class Int32 { } }
    namespace MicroNet { public class Aot { } }
}";
        var compilation = GeneratorHarness.NewCompilation(source, clashes);
        var errors = compilation.GetDiagnostics(TestContext.Current.CancellationToken).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(10)));
        Assert.DoesNotContain("\nusing ", source);
    }

    /// <summary>A residual row whose even ks changes H x W at stride 1 is refused where PyTorch would fail at run time (not run with mismatched sizes).</summary>
    [Fact]
    public void A_residual_row_with_an_even_kernel_is_an_architecture_error()
    {
        string row = "{ \"s\":   1, \"n\":   2, \"c\":   8, \"ks\":   3,";
        Assert.Contains(row, Tiny.Text);
        string text = Tiny.Text.Replace(row, row.Replace("\"ks\":   3", "\"ks\":   4"));
        var result = GeneratorHarness.Generate(Tiny with { Text = text });
        AssertOnlyStub(result, "MNA0007");
        var d = Assert.Single(result.Diagnostics);
        Assert.Equal("MNA0007", d.Id);
        Assert.Contains("differ in size", d.GetMessage(CultureInfo.InvariantCulture));
        Assert.Equal(text.IndexOf("4, \"c1\"", text.IndexOf(row.Replace("\"ks\":   3", "\"ks\":   4"), StringComparison.Ordinal), StringComparison.Ordinal), d.Location.SourceSpan.Start);
    }

    /// <summary>An input so large that a constant of the generated class would overflow int is a diagnostic, not broken generated code.</summary>
    [Fact]
    public void Constants_that_would_overflow_int_are_diagnostics()
    {
        string text = Tiny.Text.Replace("\"height\": 32, \"width\": 32", "\"height\": 16384, \"width\": 16384");
        Assert.NotEqual(Tiny.Text, text);
        var result = GeneratorHarness.Generate(Tiny with { Text = text });
        AssertOnlyStub(result, "MNA0005");
        var d = Assert.Single(result.Diagnostics);
        Assert.Equal("MNA0005", d.Id);
        Assert.Contains("more than an int", d.GetMessage(CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// A refused model yields only a stub of the class (zero constants, a Run that throws), and code
    /// that uses the class compiles against it: the MNA error is the only one the build reports.
    /// </summary>
    private static void AssertOnlyStub(GeneratorRunResult result, string id)
    {
        string stub = Assert.Single(result.GeneratedSources).SourceText.ToString();
        Assert.Contains("could not generate", stub);
        Assert.Contains("see error " + id, stub);
        Assert.DoesNotContain("WeightBlob", stub);
        const string user = @"
namespace Consumer
{
    public static class UsesTheModel
    {
        public static int Go(float[] image, float[] scores)
        {
            Tests.Models.Tiny.Run(image, scores);
            return Tests.Models.Tiny.InputLength + Tests.Models.Tiny.OutputLength + Tests.Models.Tiny.InputMean.Length;
        }
    }
}";
        var errors = GeneratorHarness.NewCompilation(stub, user).GetDiagnostics(TestContext.Current.CancellationToken).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }
}
