using System.Text;

namespace MicroNet.Aot.Emit;

/// <summary>
/// Writes C# source with indentation and '\n' line endings (deterministic on every OS). A line can
/// never hold a line break: every character C# ends a line at (CR, LF, U+0085, U+2028, U+2029) that
/// reaches <see cref="Line"/> (text from a model file, in a comment or a string literal) is written
/// as its \uXXXX escape, which is inert text in a comment and the same character in a string
/// literal. So nothing a model file says can start a line of its own (a #error, a #define, a
/// global using).
/// </summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _sb = new StringBuilder();
    private int _indent;

    public SourceWriter Line(string text = "")
    {
        if (text.Length > 0) _sb.Append(' ', _indent * 4).Append(WithoutLineBreaks(text));
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

    private static bool EndsLine(char c) => c == '\r' || c == '\n' || c == '\u0085' || c == '\u2028' || c == '\u2029';

    private static string WithoutLineBreaks(string text)
    {
        int i = 0;
        while (i < text.Length && !EndsLine(text[i])) i++;
        if (i == text.Length) return text;
        var sb = new StringBuilder(text.Length + 16).Append(text, 0, i);
        for (; i < text.Length; i++)
        {
            char c = text[i];
            if (EndsLine(c)) sb.Append("\\u").Append(((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        return sb.ToString();
    }
}
