using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using MicroNet.Aot.Diagnostics;
using MicroNet.Aot.Pipeline;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace MicroNet.Aot;

/// <summary>
/// Turns each MicroNetModel item (an AdditionalFiles entry with MicroNetModel=true metadata, see
/// build/MicroNet.Aot.targets) into a static partial class that runs the network.
/// Pipeline: AdditionalTexts + options -> ModelInput (plain values) -> PlanResult (the equatable
/// execution plan, or diagnostics) -> GenerationResult (the printed source) -> collected, so duplicate
/// classes are reported instead of colliding. An edit that leaves the plan equal (whitespace, key
/// order) stops at the plan: the source step is then cached and nothing is printed again.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class MicroNetGenerator : IIncrementalGenerator
{
    public static class TrackingNames
    {
        public const string Inputs = "MicroNet.Inputs";
        public const string Plans = "MicroNet.Plans";
        public const string Results = "MicroNet.Results";
        public const string Collected = "MicroNet.Collected";
        public const string TargetsImported = "MicroNet.TargetsImported";
    }

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var inputs = context.AdditionalTextsProvider
            .Combine(context.AnalyzerConfigOptionsProvider)
            .Select(static (pair, cancellationToken) => ToInput(pair.Left, pair.Right, cancellationToken))
            .Where(static input => input != null)
            .Select(static (input, _) => input!)
            .WithTrackingName(TrackingNames.Inputs);

        var plans = inputs
            .Select(static (input, _) => ModelCompiler.Plan(input))
            .WithTrackingName(TrackingNames.Plans);

        var results = plans
            .Select(static (plan, _) => ModelCompiler.Emit(plan))
            .WithTrackingName(TrackingNames.Results);

        var collected = results.Collect().WithTrackingName(TrackingNames.Collected);

        context.RegisterSourceOutput(collected, static (spc, all) => Produce(spc, all));

        // The generator is referenced but MicroNet.Aot's targets were not imported (a hand-made
        // analyzer reference, or a package whose build/ assets were excluded): MicroNetModel items
        // would then be ignored without a word, so say it once per compilation.
        var targetsImported = context.AnalyzerConfigOptionsProvider
            .Select(static (options, _) => options.GlobalOptions.TryGetValue("build_property.MicroNetAotTargetsImported", out var v) &&
                string.Equals(v?.Trim(), "true", StringComparison.OrdinalIgnoreCase))
            .WithTrackingName(TrackingNames.TargetsImported);
        context.RegisterSourceOutput(targetsImported, static (spc, imported) =>
        {
            if (imported) return;
            spc.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.Get(DiagnosticDescriptors.TargetsNotImported), Location.None,
                "the MicroNet.Aot generator runs without its build targets (MicroNet.Aot.targets), so MicroNetModel items are ignored and no model class is generated: " +
                "reference the MicroNet.Aot package with PackageReference (without ExcludeAssets=\"build\" or \"buildTransitive\"), or, in a build from source, <Import> Generator/build/MicroNet.Aot.targets"));
        });
    }

    private static ModelInput? ToInput(AdditionalText text, AnalyzerConfigOptionsProvider options, System.Threading.CancellationToken cancellationToken)
    {
        var fileOptions = options.GetOptions(text);
        if (!fileOptions.TryGetValue("build_metadata.AdditionalFiles.MicroNetModel", out var flag) ||
            !string.Equals(flag, "true", StringComparison.OrdinalIgnoreCase))
            return null;
        string? Get(string key) => fileOptions.TryGetValue("build_metadata.AdditionalFiles." + key, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
        options.GlobalOptions.TryGetValue("build_property.RootNamespace", out var rootNamespace);
        options.GlobalOptions.TryGetValue("build_property.MicroNetProfile", out var profile);
        // MicroNetParallelMinMicroseconds: the cost model's threshold for splitting a layer across a pool's threads (a number >= 0; anything else: the default)
        options.GlobalOptions.TryGetValue("build_property.MicroNetParallelMinMicroseconds", out var parallelText);
        double parallelMin = double.TryParse(parallelText?.Trim(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var parsed) && parsed >= 0 && parsed < 1e9
            ? parsed : MicroNet.Aot.Planning.ParallelPlanner.MinParallelMicroseconds;
        var source = text.GetText(cancellationToken);
        return new ModelInput(
            text.Path,
            source?.ToString() ?? "",
            Get("ClassName"),
            Get("Namespace"),
            string.IsNullOrWhiteSpace(rootNamespace) ? null : rootNamespace!.Trim(),
            Get("MicroNetResourceName"),
            Get("MicroNetWeightsFile"),
            !string.Equals(Get("MicroNetWeightsExist"), "false", StringComparison.OrdinalIgnoreCase),
            string.Equals(profile?.Trim(), "true", StringComparison.OrdinalIgnoreCase),
            Get("MicroNetWeightsSha256"),
            parallelMin);
    }

    private static void Produce(SourceProductionContext context, ImmutableArray<GenerationResult> results)
    {
        var hints = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var result in results)
        {
            foreach (var d in result.Diagnostics) context.ReportDiagnostic(d.ToDiagnostic());
            if (result.Source == null) continue;
            if (!hints.Add(result.HintName))
            {
                // at the start of the second model file that generates the class
                var at = Location.Create(result.Path, new TextSpan(0, 0), new LinePositionSpan(new LinePosition(0, 0), new LinePosition(0, 0)));
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.Get(DiagnosticDescriptors.DuplicateClass), at,
                    "two MicroNetModel items generate " + result.HintName.Replace(".MicroNet.g.cs", "") + ": give one of them another ClassName or Namespace"));
                continue;
            }
            context.AddSource(result.HintName, SourceText.From(result.Source, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false)));
        }
    }
}
