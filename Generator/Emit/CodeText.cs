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

    public static string OneLine(string s) => s.Replace('\r', ' ').Replace('\n', ' ');
    public static string Xml(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
    public static string Escape(string s) => s.Replace("\\", "\\\\").Replace("\"", "\\\"");
}
