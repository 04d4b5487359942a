using System.Collections.Generic;
using MicroNet.Aot.Model;
using Microsoft.CodeAnalysis;

namespace MicroNet.Aot.Diagnostics;

/// <summary>
/// Every diagnostic the generator reports. MNA0001-MNA0010 are the model-file problems shared with
/// the CLI (Model/IssueIds.cs); MNA0011 and up concern the MSBuild item (MNA0030, a warning: the
/// build targets that turn MicroNetModel items into the generator's input are missing). See docs/diagnostics.md.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "MicroNet.Aot";

    public const string InvalidItemMetadata = "MNA0011";
    public const string DuplicateClass = "MNA0012";
    public const string WeightsFileMismatch = "MNA0013";
    public const string TargetsNotImported = "MNA0030";
    public const string InternalError = "MNA0099";

    private static readonly Dictionary<string, DiagnosticDescriptor> ById = new()
    {
        [IssueIds.MalformedJson] = Make(IssueIds.MalformedJson, "Malformed model JSON"),
        [IssueIds.MissingField] = Make(IssueIds.MissingField, "Missing model field"),
        [IssueIds.UnknownField] = Make(IssueIds.UnknownField, "Unknown or duplicate model field"),
        [IssueIds.WrongType] = Make(IssueIds.WrongType, "Model field has the wrong type"),
        [IssueIds.InvalidValue] = Make(IssueIds.InvalidValue, "Model value out of range"),
        [IssueIds.UnsupportedFormat] = Make(IssueIds.UnsupportedFormat, "Unsupported model format"),
        [IssueIds.InvalidArchitecture] = Make(IssueIds.InvalidArchitecture, "Invalid MicroNet architecture"),
        [IssueIds.ManifestMismatch] = Make(IssueIds.ManifestMismatch, "Weights manifest disagrees with the architecture"),
        [IssueIds.MissingWeights] = Make(IssueIds.MissingWeights, "Weights file missing"),
        [IssueIds.WeightsMismatch] = Make(IssueIds.WeightsMismatch, "Weights file differs from the model file"),
        [IssueIds.InvalidQuantization] = Make(IssueIds.InvalidQuantization, "Invalid int8 quantization data"),
        [InvalidItemMetadata] = Make(InvalidItemMetadata, "Invalid MicroNetModel item metadata"),
        [DuplicateClass] = Make(DuplicateClass, "Two models generate the same class"),
        [WeightsFileMismatch] = Make(WeightsFileMismatch, "Embedded weights file differs from the one the model names"),
        [TargetsNotImported] = Make(TargetsNotImported, "MicroNet.Aot's build targets are not imported", DiagnosticSeverity.Warning),
        [InternalError] = Make(InternalError, "MicroNet.Aot generator internal error"),
    };

    private static DiagnosticDescriptor Make(string id, string title, DiagnosticSeverity severity = DiagnosticSeverity.Error) =>
        new(id, title, "{0}", Category, severity, isEnabledByDefault: true,
            description: "See docs/diagnostics.md in the MicroNet.Aot repository.");

    public static bool TryGet(string id, out DiagnosticDescriptor descriptor) => ById.TryGetValue(id, out descriptor!);

    public static DiagnosticDescriptor Get(string id) =>
        ById.TryGetValue(id, out var d) ? d : throw new KeyNotFoundException("no diagnostic descriptor for " + id);

    public static DiagnosticDescriptor InternalErrorDescriptor => ById[InternalError];

    public static IEnumerable<DiagnosticDescriptor> All => ById.Values;
}
