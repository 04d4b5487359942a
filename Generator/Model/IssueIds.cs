namespace MicroNet.Aot.Model;

/// <summary>
/// Stable IDs of model-file problems. The source generator reports them as diagnostics and the CLI
/// prints them; docs/diagnostics.md lists them all.
/// </summary>
public static class IssueIds
{
    /// <summary>The file is not valid JSON.</summary>
    public const string MalformedJson = "MNA0001";
    /// <summary>A required field is missing.</summary>
    public const string MissingField = "MNA0002";
    /// <summary>A field the format does not define, or a field given twice.</summary>
    public const string UnknownField = "MNA0003";
    /// <summary>A field has the wrong JSON type (e.g. a string where an integer belongs).</summary>
    public const string WrongType = "MNA0004";
    /// <summary>A value outside its allowed range (zero or negative sizes, y not in 0..2, ...).</summary>
    public const string InvalidValue = "MNA0005";
    /// <summary>The format tag is not one this version reads.</summary>
    public const string UnsupportedFormat = "MNA0006";
    /// <summary>Values that are fine one by one but cannot form a network (channels not divisible by groups, ...).</summary>
    public const string InvalidArchitecture = "MNA0007";
    /// <summary>The weights manifest disagrees with the architecture (names, shapes, offsets, length).</summary>
    public const string ManifestMismatch = "MNA0008";
    /// <summary>The weights file the JSON names cannot be found.</summary>
    public const string MissingWeights = "MNA0009";
    /// <summary>The weights file's length or SHA-256 differs from the JSON.</summary>
    public const string WeightsMismatch = "MNA0010";
    /// <summary>The int8 quantization section is inconsistent (scales, zero points, layer names, coefficient bits).</summary>
    public const string InvalidQuantization = "MNA0014";
}
