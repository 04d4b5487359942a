using MicroNet.Aot.Planning;
using static MicroNet.Aot.Emit.CodeText;

namespace MicroNet.Aot.Emit.Printers;

/// <summary>A linear layer of the head: <c>Linear.MatVec</c>, then bias and h_swish.</summary>
internal static class ClassifierStepPrinter
{
    public static void Print(ClassifierStep s, SourceWriter w)
    {
        StepPrinters.TensorRef(w, "src", s.Input);
        StepPrinters.TensorRef(w, "dst", s.Output);
        w.Line("float* weight = w + " + I(s.WeightOffset) + "; // [" + I(s.OutFeatures) + ", " + I(s.InFeatures) + "], BatchNorm1d folded in");
        StepPrinters.WeightPointer(w, s, "bias", s.BiasOffset);
        w.Line("global::MicroNet.Aot.Runtime.Linear.MatVec(weights: weight, input: ref src, output: ref dst, rows: " + I(s.OutFeatures) + ", cols: " + I(s.InFeatures) + ");");
        w.Line("global::MicroNet.Aot.Runtime.Elementwise.AddBiasHSwish(x: ref dst, bias: bias, n: " + I(s.OutFeatures) + ");");
    }
}
