// Emit's vocabulary: how numbers, tensors, planes and tables are written in generated code. Numbers
// use the invariant culture; floats print in round-trip form with an f suffix.
using System.Globalization;
using MicroNet.Aot.Planning;

namespace MicroNet.Aot.Emit;

internal static class CodeText
{
    public static string I(long v) => v.ToString(CultureInfo.InvariantCulture);

    public static string F(double v) => ((float)v).ToString("R", CultureInfo.InvariantCulture) + "f";

    /// <summary>A ref to the tensor's first float: the input span, the output span, or the arena at its offset.</summary>
    public static string BaseRef(TensorRef v) =>
        v.Place == Place.NetworkInput ? "ref x" :
        v.Place == Place.NetworkOutput ? "ref y" :
        "ref global::System.Runtime.CompilerServices.Unsafe.Add(ref arena, " + I(v.Offset) + ")";

    /// <summary>Where the tensor lives, for the comment block.</summary>
    public static string Where(TensorRef v) =>
        v.Place == Place.NetworkInput ? "network input" :
        v.Place == Place.NetworkOutput ? "output span" :
        v.Place == Place.Stack ? "the stack (a fused pair)" :
        "arena[" + I(v.Offset) + ".." + I(v.Offset + v.Floats) + ")" + (v.Mapped ? " through a channel map" : "");

    /// <summary>An expression for the plane of logical channel <paramref name="channel"/>: through the table, or the channel itself.</summary>
    public static string Plane(IntTable? table, string channel) =>
        table != null ? table.Name + "[" + channel + "]" : channel.IndexOf(' ') >= 0 ? "(" + channel + ")" : channel;

    /// <summary>A ref to plane <paramref name="planeExpression"/> of a tensor whose planes hold <paramref name="plane"/> floats.</summary>
    public static string PlaneRef(string baseName, string planeExpression, long plane) =>
        "ref global::System.Runtime.CompilerServices.Unsafe.Add(ref " + baseName + ", " + planeExpression + " * " + I(plane) + ")";

    public static string Bool(bool value) => value ? "true" : "false";

    /// <summary>Text for a // comment: every character C# ends a line at (CR, LF, NEL, LS, PS) becomes a space.</summary>
    public static string OneLine(string s) => s.Replace('\r', ' ').Replace('\n', ' ').Replace('\u0085', ' ').Replace('\u2028', ' ').Replace('\u2029', ' ');
    public static string Xml(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
    public static string Escape(string s) => s.Replace("\\", "\\\\").Replace("\"", "\\\"");

    /// <summary>
    /// A C# string literal of <paramref name="s"/>: printable ASCII as is, every other UTF-16 unit
    /// as \uXXXX, so the generated file is ASCII and no character can end the literal or the line.
    /// </summary>
    public static string Literal(string s)
    {
        var sb = new System.Text.StringBuilder(s.Length + 2).Append('"');
        foreach (char c in s)
        {
            if (c == '"' || c == '\\') sb.Append('\\').Append(c);
            else if (c >= ' ' && c <= '~') sb.Append(c);
            else sb.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
        }
        return sb.Append('"').ToString();
    }
}
