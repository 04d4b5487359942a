extern alias generator;
using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace MicroNet.Aot.Tests.Infrastructure;

/// <summary>
/// Drives the MicroNet generator in-process on model files, as MSBuild would hand them over
/// (AdditionalFiles + item metadata), and compiles and loads what it generates (in a collectible
/// AssemblyLoadContext, with the weights blob embedded as the targets file embeds it).
/// </summary>
public static class GeneratorHarness
{
    public sealed class InMemoryText : AdditionalText
    {
        private readonly string _text;
        public InMemoryText(string path, string text) { Path = path; _text = text; }
        public override string Path { get; }
        public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(_text);
    }

    private sealed class Options : AnalyzerConfigOptions
    {
        private readonly Dictionary<string, string> _values;
        public Options(Dictionary<string, string> values) { _values = values; }
        public override bool TryGetValue(string key, out string value) => _values.TryGetValue(key, out value!);
    }

    private sealed class OptionsProvider : AnalyzerConfigOptionsProvider
    {
        private readonly Dictionary<string, Dictionary<string, string>> _perFile;
        private readonly Options _global;
        public OptionsProvider(Dictionary<string, Dictionary<string, string>> perFile, Dictionary<string, string> global)
        {
            _perFile = perFile; _global = new Options(global);
        }
        public override AnalyzerConfigOptions GlobalOptions => _global;
        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => new Options(new());
        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) =>
            new Options(_perFile.TryGetValue(textFile.Path, out var v) ? v : new());
    }

    /// <summary>A model item: the JSON (path and text) and the metadata MicroNet.Aot.targets would set.</summary>
    public sealed record ModelItem(string Path, string Text, string? ClassName = null, string? Namespace = null, bool WeightsExist = true, string? WeightsFile = null, string? WeightsSha256 = null)
    {
        public string Stem => System.IO.Path.GetFileName(Path).Replace(".micronet.json", "");
        public string ResourceName => "MicroNet.Aot.Weights." + Stem;

        public static ModelItem FromFile(string path, string? className = null, string? ns = "Tests.Models") =>
            new(path, File.ReadAllText(path), className, ns, true, System.IO.Path.GetFileName(path).Replace(".micronet.json", ".weights.bin"));
    }

    private static readonly Lazy<MetadataReference[]> References = new(() =>
    {
        var tpa = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(System.IO.Path.PathSeparator);
        var refs = tpa.Where(p => System.IO.Path.GetFileName(p) is var f && (f.StartsWith("System.") || f == "netstandard.dll" || f == "mscorlib.dll"))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToList();
        refs.Add(MetadataReference.CreateFromFile(typeof(MicroNet.Aot.Runtime.WeightBlob).Assembly.Location));
        return refs.ToArray();
    });

    /// <summary>
    /// A compilation of <paramref name="sources"/> against the BCL and the Runtime, with XML
    /// documentation diagnosed as GenerateDocumentationFile does (a public member without docs,
    /// a cref that does not resolve or a wrong param name is a warning, which Compile refuses).
    /// </summary>
    public static CSharpCompilation NewCompilation(params string[] sources) =>
        CSharpCompilation.Create("GeneratedModels_" + Guid.NewGuid().ToString("N")[..8],
            sources.Select(s => CSharpSyntaxTree.ParseText(s, new CSharpParseOptions(LanguageVersion.Latest, DocumentationMode.Diagnose))),
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, optimizationLevel: OptimizationLevel.Release,
                nullableContextOptions: NullableContextOptions.Enable));

    /// <param name="texts">When given, receives the AdditionalTexts the driver holds (for ReplaceAdditionalText).</param>
    /// <param name="targetsImported">Whether the build sets MicroNetAotTargetsImported, as MicroNet.Aot.targets does (false: the generator warns MNA0030).</param>
    public static GeneratorDriver NewDriver(IEnumerable<ModelItem> items, bool track = true, string? rootNamespace = "Tests.Root", bool profile = false,
        List<AdditionalText>? texts = null, bool targetsImported = true, double? parallelMinMicroseconds = null)
    {
        var perFile = new Dictionary<string, Dictionary<string, string>>();
        texts ??= new List<AdditionalText>();
        foreach (var item in items)
        {
            texts.Add(new InMemoryText(item.Path, item.Text));
            var meta = new Dictionary<string, string>
            {
                ["build_metadata.AdditionalFiles.MicroNetModel"] = "true",
                ["build_metadata.AdditionalFiles.MicroNetResourceName"] = item.ResourceName,
                ["build_metadata.AdditionalFiles.MicroNetWeightsExist"] = item.WeightsExist ? "true" : "false",
            };
            if (item.ClassName != null) meta["build_metadata.AdditionalFiles.ClassName"] = item.ClassName;
            if (item.Namespace != null) meta["build_metadata.AdditionalFiles.Namespace"] = item.Namespace;
            if (item.WeightsFile != null) meta["build_metadata.AdditionalFiles.MicroNetWeightsFile"] = item.WeightsFile;
            if (item.WeightsSha256 != null) meta["build_metadata.AdditionalFiles.MicroNetWeightsSha256"] = item.WeightsSha256;
            perFile[item.Path] = meta;
        }
        var global = new Dictionary<string, string>();
        if (rootNamespace != null) global["build_property.RootNamespace"] = rootNamespace;
        if (profile) global["build_property.MicroNetProfile"] = "true";
        if (targetsImported) global["build_property.MicroNetAotTargetsImported"] = "true";
        if (parallelMinMicroseconds is double min) global["build_property.MicroNetParallelMinMicroseconds"] = min.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return CSharpGeneratorDriver.Create(
            new[] { new generator::MicroNet.Aot.MicroNetGenerator().AsSourceGenerator() },
            texts,
            new CSharpParseOptions(LanguageVersion.Latest),
            new OptionsProvider(perFile, global),
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: track));
    }

    /// <summary>Runs the generator; asserts it did not throw; returns its result.</summary>
    public static GeneratorRunResult Generate(params ModelItem[] items) => Generate(null, items);

    /// <summary>Runs the generator with the parallel cost model's threshold (0: every layer that can split, splits).</summary>
    public static GeneratorRunResult Generate(double? parallelMinMicroseconds, params ModelItem[] items)
    {
        var driver = NewDriver(items, parallelMinMicroseconds: parallelMinMicroseconds).RunGenerators(NewCompilation(), TestContext.Current.CancellationToken);
        var result = driver.GetRunResult().Results.Single();
        Assert.Null(result.Exception);
        return result;
    }

    public delegate void RunDelegate(ReadOnlySpan<float> input, Span<float> output);
    public delegate void RunScratchDelegate(ReadOnlySpan<float> input, Span<float> output, Span<float> scratch);
    public delegate void RunPoolDelegate(ReadOnlySpan<float> input, Span<float> output, MicroNet.Aot.Runtime.InferencePool pool);

    /// <summary>A generated model compiled and loaded into a collectible load context.</summary>
    public sealed class CompiledModel : IDisposable
    {
        private readonly AssemblyLoadContext _context;
        public CompiledModel(AssemblyLoadContext context, Type type, string source)
        {
            _context = context;
            Type = type;
            Source = source;
            Run = type.GetMethod("Run", new[] { typeof(ReadOnlySpan<float>), typeof(Span<float>) })!.CreateDelegate<RunDelegate>();
            // an int8 class has Run(input, output, Span<byte> scratch), RunBatch and no Run on a pool (yet): null here
            RunWithScratch = type.GetMethod("Run", new[] { typeof(ReadOnlySpan<float>), typeof(Span<float>), typeof(Span<float>) })?.CreateDelegate<RunScratchDelegate>()!;
            RunOnPool = type.GetMethod("Run", new[] { typeof(ReadOnlySpan<float>), typeof(Span<float>), typeof(MicroNet.Aot.Runtime.InferencePool) })?.CreateDelegate<RunPoolDelegate>()!;
            RunBatch = type.GetMethod("RunBatch")?.CreateDelegate<RunPoolDelegate>()!;
        }
        public Type Type { get; }
        public string Source { get; }
        public RunDelegate Run { get; }
        public RunScratchDelegate RunWithScratch { get; }
        public RunPoolDelegate RunOnPool { get; }
        public RunPoolDelegate RunBatch { get; }
        public T Constant<T>(string name) => (T)Type.GetField(name)!.GetRawConstantValue()!;
        public int InputLength => Constant<int>("InputLength");
        public int OutputLength => Constant<int>("OutputLength");
        public int ScratchLength => Constant<int>("ScratchLength");
        public void Dispose() => _context.Unload();
    }

    /// <summary>Generates, compiles and loads the model; <paramref name="blob"/> overrides the embedded weights.</summary>
    public static CompiledModel Compile(ModelItem item, byte[]? blob = null, double? parallelMinMicroseconds = null)
    {
        var result = Generate(parallelMinMicroseconds, item);
        Assert.True(result.Diagnostics.IsEmpty, "generator diagnostics:\n" + string.Join("\n", result.Diagnostics));
        string source = Assert.Single(result.GeneratedSources).SourceText.ToString();
        var compilation = NewCompilation(source);
        blob ??= File.ReadAllBytes(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(item.Path)!, item.WeightsFile!));
        var resource = new ResourceDescription(item.ResourceName, () => new MemoryStream(blob), isPublic: true);
        using var pe = new MemoryStream();
        var emit = compilation.Emit(pe, manifestResources: new[] { resource });
        Assert.True(emit.Success, "generated code does not compile:\n" + string.Join("\n", emit.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(20)));
        Assert.Empty(emit.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Warning));
        pe.Position = 0;
        var context = new AssemblyLoadContext("micronet-" + item.Stem, isCollectible: true);
        var assembly = context.LoadFromStream(pe);
        string fullName = (item.Namespace != null ? item.Namespace + "." : "") + (item.ClassName ?? item.Stem);
        var type = assembly.GetType(fullName) ?? throw new InvalidOperationException("generated type " + fullName + " not found");
        return new CompiledModel(context, type, source);
    }
}
