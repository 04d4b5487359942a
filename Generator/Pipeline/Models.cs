using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace MicroNet.Aot.Pipeline;

/// <summary>
/// One MicroNetModel item as the generator sees it: the JSON text and the MSBuild metadata, all
/// plain values (no Compilation, symbols, syntax or arrays), so unchanged inputs compare equal.
/// </summary>
internal sealed record ModelInput(
    string Path,
    string Text,
    string? ClassName,
    string? Namespace,
    string? RootNamespace,
    string? ResourceName,
    string? WeightsFile,
    bool WeightsExist,
    bool Profile,
    string? WeightsSha256 = null,
    double ParallelMinMicroseconds = MicroNet.Aot.Planning.ParallelPlanner.MinParallelMicroseconds);

/// <summary>A diagnostic carried as values: the descriptor's ID, the message and where it points.</summary>
internal sealed record DiagnosticInfo(string Id, string Message, string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public Diagnostic ToDiagnostic()
    {
        var location = Location.Create(FilePath, Span, LineSpan);
        // an ID without a descriptor is a generator bug: reported as MNA0099 naming the ID, never silently renamed
        return Diagnostics.DiagnosticDescriptors.TryGet(Id, out var descriptor)
            ? Diagnostic.Create(descriptor, location, Message)
            : Diagnostic.Create(Diagnostics.DiagnosticDescriptors.InternalErrorDescriptor, location, "diagnostic " + Id + " has no descriptor (a generator bug): " + Message);
    }
}

/// <summary>What planning one model yields: its execution plan (null when the model is invalid) and its diagnostics.</summary>
/// <remarks>
/// When there is no plan, <see cref="StubClass"/> names the class to stand in for it (when a valid
/// name is known), so the consumer's code that uses the model compiles and the MNA error is the one
/// the build reports instead of a cascade of CS0246.
/// </remarks>
internal sealed record PlanResult(string HintName, string Path, MicroNet.Aot.Planning.ExecutionPlan? Plan, EquatableArray<DiagnosticInfo> Diagnostics,
    string? StubClass = null, string? StubNamespace = null, MicroNet.Aot.Planning.Int8Plan? Int8 = null);

/// <summary>What one model yields: the source (null when the model is invalid) and its diagnostics.</summary>
internal sealed record GenerationResult(string HintName, string Path, string? Source, EquatableArray<DiagnosticInfo> Diagnostics);
