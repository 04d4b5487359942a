using MicroNet.Aot.Planning;
using static MicroNet.Aot.Emit.CodeText;

namespace MicroNet.Aot.Emit.Printers;

/// <summary>Depthwise k x 1: one <c>Depthwise.Columns</c> call for the layer.</summary>
internal static class DepthwiseColumnsStepPrinter
{
    public static void Print(DepthwiseColumnsStep s, SourceWriter w)
    {
        StepPrinters.WeightPointer(w, s, "weight", s.WeightOffset);
        StepPrinters.WeightPointer(w, s, "bias", s.BiasOffset);
        w.Line("global::MicroNet.Aot.Runtime.Depthwise.Columns(input: " + BaseRef(s.Input) + ", inputPlanes: " + s.InputPlanes.Name + ", inPlane: " + I(s.InPlane) + ",");
        w.Line("    output: " + BaseRef(s.Output) + ", outPlane: " + I(s.OutPlane) + ", weights: weight, bias: bias,");
        w.Line("    k: " + I(s.K) + ", pad: " + I(s.Pad) + ", stride: " + I(s.Stride) + ", inHeight: " + I(s.InHeight) + ", outHeight: " + I(s.OutHeight) + ", width: " + I(s.Width) + ");");
    }
}
