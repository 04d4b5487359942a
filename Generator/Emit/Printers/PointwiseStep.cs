using MicroNet.Aot.Planning;
using static MicroNet.Aot.Emit.CodeText;

namespace MicroNet.Aot.Emit.Printers;

/// <summary>1x1 group conv: one <c>Pointwise.GroupConv</c> per group, over the group's slice of the plane table.</summary>
internal static class PointwiseStepPrinter
{
    public static void Print(PointwiseStep s, SourceWriter w)
    {
        StepPrinters.TensorRef(w, "src", s.Input);
        StepPrinters.TensorRef(w, "dst", s.Output);
        StepPrinters.WeightPointer(w, s, "weight", s.WeightOffset);
        StepPrinters.WeightPointer(w, s, "bias", s.BiasOffset);
        w.Line("// group g: outputs g*" + I(s.OutputsPerGroup) + ".. read inputs g*" + I(s.InputsPerGroup) + ".. (planes through " + s.InputPlanes.Name + ")");
        w.Open("for (int g = 0; g < " + I(s.Groups) + "; g++)");
        w.Line("global::MicroNet.Aot.Runtime.Pointwise.GroupConv(input: ref src, planes: " + s.InputPlanes.Name + ".Slice(g * " + I(s.InputsPerGroup) + ", " + I(s.InputsPerGroup) + "),");
        w.Line("    output: ref global::System.Runtime.CompilerServices.Unsafe.Add(ref dst, g * " + I(s.OutputsPerGroup * s.Positions) + "), weights: weight + g * " + I((long)s.OutputsPerGroup * s.InputsPerGroup) +
            ", bias: bias + g * " + I(s.OutputsPerGroup) + ",");
        w.Line("    outputs: " + I(s.OutputsPerGroup) + ", n: " + I(s.Positions) + ", relu6: " + Bool(s.Header.Relu6) + ");");
        w.Close();
    }
}
