using System.Text;

namespace MicroNet.Aot.Emit;

/// <summary>Writes C# source with indentation and '\n' line endings (deterministic on every OS).</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _sb = new StringBuilder();
    private int _indent;

    public SourceWriter Line(string text = "")
    {
        if (text.Length > 0) _sb.Append(' ', _indent * 4).Append(text);
        _sb.Append('\n');
        return this;
    }

    public SourceWriter Open(string text)
    {
        Line(text);
        Line("{");
        _indent++;
        return this;
    }

    public SourceWriter Close(string suffix = "")
    {
        _indent--;
        return Line("}" + suffix);
    }

    public override string ToString() => _sb.ToString();
}
