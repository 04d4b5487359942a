using MicroNet.Aot.Planning;
using static MicroNet.Aot.Emit.CodeText;

namespace MicroNet.Aot.Emit.Printers;

/// <summary>Depthwise 1 x k: one <c>Depthwise.Rows</c> call for the layer.</summary>
internal static class DepthwiseRowsStepPrinter
{
    public static void Print(DepthwiseRowsStep s, SourceWriter w)
    {
        StepPrinters.WeightPointer(w, s, "weight", s.WeightOffset);
        StepPrinters.WeightPointer(w, s, "bias", s.BiasOffset);
        w.Line("global::MicroNet.Aot.Runtime.Depthwise.Rows(input: " + BaseRef(s.Input) + ", inputPlanes: " + s.InputPlanes.Name + ", inPlane: " + I(s.InPlane) + ",");
        w.Line("    output: " + BaseRef(s.Output) + ", outPlane: " + I(s.OutPlane) + ", weights: weight, bias: bias,");
        w.Line("    k: " + I(s.K) + ", pad: " + I(s.Pad) + ", stride: " + I(s.Stride) + ", height: " + I(s.Height) + ", inWidth: " + I(s.InWidth) + ", outWidth: " + I(s.OutWidth) +
            ", relu6: " + Bool(s.Header.Relu6) + ");");
    }
}
