using MicroNet.Aot.Planning;
using static MicroNet.Aot.Emit.CodeText;

namespace MicroNet.Aot.Emit.Printers;

/// <summary>k x 1 over groups of several inputs or outputs: <c>Depthwise.ColumnGroup</c> per group.</summary>
internal static class ColumnGroupStepPrinter
{
    public static void Print(ColumnGroupStep s, SourceWriter w)
    {
        StepPrinters.TensorRef(w, "src", s.Input);
        StepPrinters.TensorRef(w, "dst", s.Output);
        StepPrinters.WeightPointer(w, s, "weight", s.WeightOffset);
        StepPrinters.WeightPointer(w, s, "bias", s.BiasOffset);
        string shape = "outputs: " + I(s.OutputsPerGroup) + ", k: " + I(s.K) + ", pad: " + I(s.Pad) + ", stride: " + I(s.Stride) +
            ", inHeight: " + I(s.InHeight) + ", outHeight: " + I(s.OutHeight) + ", width: " + I(s.Width) + ");";
        if (s.Groups == 1)
        {
            w.Line("global::MicroNet.Aot.Runtime.Depthwise.ColumnGroup(input: ref src, planes: " + s.InputPlanes.Name + ", inPlane: " + I(s.InPlane) + ", output: ref dst, outPlane: " + I(s.OutPlane) + ",");
            w.Line("    weights: weight, bias: bias, " + shape);
            return;
        }
        w.Open("for (int g = 0; g < " + I(s.Groups) + "; g++)");
        w.Line("global::MicroNet.Aot.Runtime.Depthwise.ColumnGroup(input: ref src, planes: " + s.InputPlanes.Name + ".Slice(g * " + I(s.InputsPerGroup) + ", " + I(s.InputsPerGroup) + "), inPlane: " + I(s.InPlane) + ",");
        w.Line("    output: ref global::System.Runtime.CompilerServices.Unsafe.Add(ref dst, g * " + I(s.OutputsPerGroup * s.OutPlane) + "), outPlane: " + I(s.OutPlane) + ",");
        w.Line("    weights: weight + g * " + I((long)s.OutputsPerGroup * s.InputsPerGroup * s.K) + ", bias: bias + g * " + I(s.OutputsPerGroup) + ", " + shape);
        w.Close();
    }
}
