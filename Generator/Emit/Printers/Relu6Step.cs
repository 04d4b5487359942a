using MicroNet.Aot.Planning;
using static MicroNet.Aot.Emit.CodeText;

namespace MicroNet.Aot.Emit.Printers;

/// <summary>A ReLU6 no conv could apply: <c>Elementwise.Relu6</c> in place over the whole tensor.</summary>
internal static class Relu6StepPrinter
{
    public static void Print(Relu6Step s, SourceWriter w) =>
        w.Line("global::MicroNet.Aot.Runtime.Elementwise.Relu6(x: " + BaseRef(s.Output) + ", n: " + I(s.Elements) + "); // in place; a permutation of planes covers the same floats");
}
