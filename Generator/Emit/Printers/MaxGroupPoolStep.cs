using MicroNet.Aot.Planning;
using static MicroNet.Aot.Emit.CodeText;

namespace MicroNet.Aot.Emit.Printers;

/// <summary>The stem's max group pooling: <c>Elementwise.Max</c> of each pair of planes.</summary>
internal static class MaxGroupPoolStepPrinter
{
    public static void Print(MaxGroupPoolStep s, SourceWriter w)
    {
        StepPrinters.TensorRef(w, "src", s.Input);
        StepPrinters.TensorRef(w, "dst", s.Output);
        w.Open("for (int c = 0; c < " + I(s.Channels) + "; c++)");
        w.Line("global::MicroNet.Aot.Runtime.Elementwise.Max(dst: " + PlaneRef("dst", "c", s.Plane) + ", a: " + PlaneRef("src", Plane(s.InputPlanes, "2 * c"), s.Plane) +
            ", b: " + PlaneRef("src", Plane(s.InputPlanes, "2 * c + 1"), s.Plane) + ", n: " + I(s.Plane) + ");");
        w.Close();
    }
}
