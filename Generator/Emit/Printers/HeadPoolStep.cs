using MicroNet.Aot.Planning;
using static MicroNet.Aot.Emit.CodeText;

namespace MicroNet.Aot.Emit.Printers;

/// <summary>The head's ReLU6, global average pool and h_swish, per channel.</summary>
internal static class HeadPoolStepPrinter
{
    public static void Print(HeadPoolStep s, SourceWriter w)
    {
        StepPrinters.TensorRef(w, "src", s.Input);
        StepPrinters.TensorRef(w, "dst", s.Output);
        w.Open("for (int c = 0; c < " + I(s.Channels) + "; c++)");
        w.Line("ref float plane = " + PlaneRef("src", Plane(s.InputPlanes, "c"), s.Plane) + ";");
        w.Line("global::System.Runtime.CompilerServices.Unsafe.Add(ref dst, c) = global::MicroNet.Aot.Runtime.Elementwise.HSwish(global::MicroNet.Aot.Runtime.Elementwise.SumRelu6(x: ref plane, n: " + I(s.Plane) + ") / " + I(s.Plane) + "f); // ReLU6 applied as summed");
        w.Close();
    }
}
