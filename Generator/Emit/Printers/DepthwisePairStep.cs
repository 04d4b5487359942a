using MicroNet.Aot.Planning;
using static MicroNet.Aot.Emit.CodeText;

namespace MicroNet.Aot.Emit.Printers;

/// <summary>A stride-1 depthwise pair fused: one <c>Depthwise.Pair</c> call, plane by plane.</summary>
internal static class DepthwisePairStepPrinter
{
    public static void Print(DepthwisePairStep s, SourceWriter w)
    {
        StepPrinters.WeightPointer(w, s, "columnWeight", s.ColumnWeightOffset);
        StepPrinters.WeightPointer(w, s, "columnBias", s.ColumnBiasOffset);
        StepPrinters.WeightPointer(w, s, "rowWeight", s.RowWeightOffset);
        StepPrinters.WeightPointer(w, s, "rowBias", s.RowBiasOffset);
        w.Line("global::MicroNet.Aot.Runtime.Depthwise.Pair(input: " + BaseRef(s.Input) + ", inputPlanes: " + s.InputPlanes.Name + ", inPlane: " + I(s.InPlane) + ",");
        w.Line("    output: " + BaseRef(s.Output) + ", outPlane: " + I(s.OutPlane) + ",");
        w.Line("    columnWeights: columnWeight, columnBias: columnBias, columnK: " + I(s.ColumnK) + ", columnPad: " + I(s.ColumnPad) + ",");
        w.Line("    rowWeights: rowWeight, rowBias: rowBias, rowK: " + I(s.RowK) + ", rowPad: " + I(s.RowPad) + ",");
        w.Line("    height: " + I(s.Height) + ", width: " + I(s.Width) + ", relu6: " + Bool(s.Header.Relu6) + ");");
    }
}
