using MicroNet.Aot.Planning;
using static MicroNet.Aot.Emit.CodeText;

namespace MicroNet.Aot.Emit.Printers;

/// <summary>The downsampling pair fused: one <c>Depthwise.PairStride2</c> call, a few intermediate rows at a time.</summary>
internal static class PairStride2StepPrinter
{
    public static void Print(PairStride2Step s, SourceWriter w)
    {
        StepPrinters.WeightPointer(w, s, "columnWeight", s.ColumnWeightOffset);
        StepPrinters.WeightPointer(w, s, "columnBias", s.ColumnBiasOffset);
        StepPrinters.WeightPointer(w, s, "rowWeight", s.RowWeightOffset);
        StepPrinters.WeightPointer(w, s, "rowBias", s.RowBiasOffset);
        w.Line("global::MicroNet.Aot.Runtime.Depthwise.PairStride2(input: " + BaseRef(s.Input) + ", inputPlanes: " + s.InputPlanes.Name + ", columnInputs: " + I(s.ColumnInputs) + ", inPlane: " + I(s.InPlane) + ",");
        w.Line("    output: " + BaseRef(s.Output) + ", outPlane: " + I(s.OutPlane) + ",");
        w.Line("    columnWeights: columnWeight, columnBias: columnBias, columnK: " + I(s.ColumnK) + ", columnPad: " + I(s.ColumnPad) + ",");
        w.Line("    rowWeights: rowWeight, rowBias: rowBias, rowK: " + I(s.RowK) + ", rowPad: " + I(s.RowPad) + ", rowMultiplier: " + I(s.RowMultiplier) + ",");
        w.Line("    inHeight: " + I(s.InHeight) + ", inWidth: " + I(s.InWidth) + ", relu6: " + Bool(s.Header.Relu6) + ");");
    }
}
