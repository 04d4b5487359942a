// A minimal JSON document model that keeps the line and column of every value and key.
//
// Why hand-written and not System.Text.Json: this code is compiled into the source generator,
// which targets netstandard2.0 and runs inside the compiler process (dotnet build, VS, Rider).
// An analyzer cannot bring NuGet dependencies along without packing them next to itself, and a
// System.Text.Json it brought would clash with the one the host already loaded. The generator
// also needs the position of every key and value for its diagnostics, which JsonDocument does
// not keep. The same reader is shared with the CLI so both report the same problems.
using System.Collections.Generic;

namespace MicroNet.Aot.Model.Json;

/// <summary>Where a value or key starts in the JSON text (1-based line and column).</summary>
public readonly struct TextPosition
{
    public TextPosition(int line, int column) { Line = line; Column = column; }
    public int Line { get; }
    public int Column { get; }
    public override string ToString() => Line + ":" + Column;
}

public enum JsonKind { Object, Array, String, Number, True, False, Null }

public abstract class JsonNode
{
    protected JsonNode(TextPosition position) { Position = position; }
    public TextPosition Position { get; }
    public abstract JsonKind Kind { get; }

    /// <summary>The JSON type name used in messages ("an object", "a number", ...).</summary>
    public string Describe() => Kind switch
    {
        JsonKind.Object => "an object",
        JsonKind.Array => "an array",
        JsonKind.String => "a string",
        JsonKind.Number => "a number",
        JsonKind.True or JsonKind.False => "a boolean",
        _ => "null",
    };
}

public sealed class JsonProperty
{
    public JsonProperty(string name, TextPosition namePosition, JsonNode value)
    {
        Name = name; NamePosition = namePosition; Value = value;
    }
    public string Name { get; }
    public TextPosition NamePosition { get; }
    public JsonNode Value { get; }
}

public sealed class JsonObject : JsonNode
{
    public JsonObject(TextPosition position, List<JsonProperty> properties) : base(position) { Properties = properties; }
    public override JsonKind Kind => JsonKind.Object;
    /// <summary>In document order, duplicates included (the reader reports them).</summary>
    public IReadOnlyList<JsonProperty> Properties { get; }

    public JsonProperty? Find(string name)
    {
        foreach (var p in Properties)
            if (p.Name == name) return p;
        return null;
    }
}

public sealed class JsonArray : JsonNode
{
    public JsonArray(TextPosition position, List<JsonNode> items) : base(position) { Items = items; }
    public override JsonKind Kind => JsonKind.Array;
    public IReadOnlyList<JsonNode> Items { get; }
}

public sealed class JsonString : JsonNode
{
    public JsonString(TextPosition position, string value) : base(position) { Value = value; }
    public override JsonKind Kind => JsonKind.String;
    public string Value { get; }
}

public sealed class JsonNumber : JsonNode
{
    public JsonNumber(TextPosition position, string text, double value) : base(position) { Text = text; Value = value; }
    public override JsonKind Kind => JsonKind.Number;
    /// <summary>The number exactly as written (for integer checks and messages).</summary>
    public string Text { get; }
    public double Value { get; }
}

public sealed class JsonLiteral : JsonNode
{
    private readonly JsonKind _kind;
    public JsonLiteral(TextPosition position, JsonKind kind) : base(position) { _kind = kind; }
    public override JsonKind Kind => _kind;
}
