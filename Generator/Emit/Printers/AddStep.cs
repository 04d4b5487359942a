using MicroNet.Aot.Planning;
using static MicroNet.Aot.Emit.CodeText;

namespace MicroNet.Aot.Emit.Printers;

/// <summary>The residual add in place on the block's output: one <c>Elementwise.Add</c>, or one per channel through the channel tables.</summary>
internal static class AddStepPrinter
{
    public static void Print(AddStep s, SourceWriter w)
    {
        StepPrinters.TensorRef(w, "src", s.Header.Inputs[0]);
        StepPrinters.TensorRef(w, "dst", s.Header.Inputs[1]);
        if (s.InputPlanes == null && s.OutputPlanes == null)
        {
            w.Line("global::MicroNet.Aot.Runtime.Elementwise.Add(dst: ref dst, src: ref src, n: " + I(s.Elements) + ");");
            return;
        }
        w.Open("for (int c = 0; c < " + I(s.Channels) + "; c++)");
        w.Line("global::MicroNet.Aot.Runtime.Elementwise.Add(dst: " + PlaneRef("dst", Plane(s.OutputPlanes, "c"), s.Plane) + ", src: " + PlaneRef("src", Plane(s.InputPlanes, "c"), s.Plane) +
            ", n: " + I(s.Plane) + ");");
        w.Close();
    }
}
