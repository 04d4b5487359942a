// The bodies of the split steps' thread methods (Lnnn_Part): the same runtime calls as the step's
// own printer, over the thread's part [lo, hi) of the step's units (InferencePool.PartStart), so
// each value is computed exactly as on one thread. A part may be empty (more threads than units);
// every thread still runs the method, so the barriers inside a Shift-Max part stay matched.
using MicroNet.Aot.Planning;
using static MicroNet.Aot.Emit.CodeText;

namespace MicroNet.Aot.Emit.Printers;

internal static class PartPrinters
{
    private const string Add = "global::System.Runtime.CompilerServices.Unsafe.Add";

    public static void Print(KernelStep step, PartitionInfo p, SourceWriter w)
    {
        w.Line("// this thread's " + p.Unit + ": [lo, hi) of " + I(p.Units) + (p.Align > 1 ? ", in blocks of " + I(p.Align) : ""));
        w.Line("int lo = global::MicroNet.Aot.Runtime.InferencePool.PartStart(" + I(p.Units) + ", " + I(p.Align) + ", thread, threads);");
        w.Line("int hi = global::MicroNet.Aot.Runtime.InferencePool.PartStart(" + I(p.Units) + ", " + I(p.Align) + ", thread + 1, threads);");
        if (step is ShiftMaxStep shiftMax)
        {
            ShiftMax(shiftMax, w);
            return;
        }
        w.Line("if (lo >= hi) return;");
        switch (step)
        {
            case PointwiseStep s: Pointwise(s, w); break;
            case ColumnGroupStep s: ColumnGroup(s, w); break;
            case DepthwiseColumnsStep s: Columns(s, w); break;
            case DepthwiseRowsStep s: Rows(s, w); break;
            case DepthwisePairStep s: Pair(s, w); break;
            case PairStride2Step s: PairStride2(s, w); break;
            case HeadPoolStep s: HeadPool(s, w); break;
            case ClassifierStep s: Classifier(s, w); break;
            // ParallelPlanner splits only the steps above; anything else is a generator bug (MNA0099)
            default: throw new System.InvalidOperationException("no part printer for " + step.GetType().Name);
        }
    }

    /// <summary>A ref to float <paramref name="floats"/> (an expression) of the tensor.</summary>
    private static string At(TensorRef t, string floats) =>
        t.Place == Place.NetworkOutput ? "ref " + Add + "(ref y, " + floats + ")" :
        t.Place == Place.NetworkInput ? "ref " + Add + "(ref x, " + floats + ")" :
        "ref " + Add + "(ref arena, " + I(t.Offset) + " + " + floats + ")";

    private static void Pointwise(PointwiseStep s, SourceWriter w)
    {
        StepPrinters.TensorRef(w, "src", s.Input);
        StepPrinters.TensorRef(w, "dst", s.Output);
        StepPrinters.WeightPointer(w, s, "weight", s.WeightOffset);
        StepPrinters.WeightPointer(w, s, "bias", s.BiasOffset);
        w.Open("for (int g = lo; g < hi; g++)");
        w.Line("global::MicroNet.Aot.Runtime.Pointwise.GroupConv(input: ref src, planes: " + s.InputPlanes.Name + ".Slice(g * " + I(s.InputsPerGroup) + ", " + I(s.InputsPerGroup) + "),");
        w.Line("    output: ref " + Add + "(ref dst, g * " + I(s.OutputsPerGroup * s.Positions) + "), weights: weight + g * " + I((long)s.OutputsPerGroup * s.InputsPerGroup) +
            ", bias: bias + g * " + I(s.OutputsPerGroup) + ",");
        w.Line("    outputs: " + I(s.OutputsPerGroup) + ", n: " + I(s.Positions) + ", relu6: " + Bool(s.Header.Relu6) + ");");
        w.Close();
    }

    private static void ColumnGroup(ColumnGroupStep s, SourceWriter w)
    {
        StepPrinters.TensorRef(w, "src", s.Input);
        StepPrinters.TensorRef(w, "dst", s.Output);
        StepPrinters.WeightPointer(w, s, "weight", s.WeightOffset);
        StepPrinters.WeightPointer(w, s, "bias", s.BiasOffset);
        w.Open("for (int g = lo; g < hi; g++)");
        w.Line("global::MicroNet.Aot.Runtime.Depthwise.ColumnGroup(input: ref src, planes: " + s.InputPlanes.Name + ".Slice(g * " + I(s.InputsPerGroup) + ", " + I(s.InputsPerGroup) + "), inPlane: " + I(s.InPlane) + ",");
        w.Line("    output: ref " + Add + "(ref dst, g * " + I(s.OutputsPerGroup * s.OutPlane) + "), outPlane: " + I(s.OutPlane) + ",");
        w.Line("    weights: weight + g * " + I((long)s.OutputsPerGroup * s.InputsPerGroup * s.K) + ", bias: bias + g * " + I(s.OutputsPerGroup) + ", outputs: " + I(s.OutputsPerGroup) +
            ", k: " + I(s.K) + ", pad: " + I(s.Pad) + ", stride: " + I(s.Stride) + ", inHeight: " + I(s.InHeight) + ", outHeight: " + I(s.OutHeight) + ", width: " + I(s.Width) + ");");
        w.Close();
    }

    private static void Columns(DepthwiseColumnsStep s, SourceWriter w)
    {
        StepPrinters.WeightPointer(w, s, "weight", s.WeightOffset);
        StepPrinters.WeightPointer(w, s, "bias", s.BiasOffset);
        w.Line("global::MicroNet.Aot.Runtime.Depthwise.Columns(input: " + BaseRef(s.Input) + ", inputPlanes: " + s.InputPlanes.Name + ".Slice(lo, hi - lo), inPlane: " + I(s.InPlane) + ",");
        w.Line("    output: " + At(s.Output, "lo * " + I(s.OutPlane)) + ", outPlane: " + I(s.OutPlane) + ", weights: weight + lo * " + I(s.K) + ", bias: bias + lo,");
        w.Line("    k: " + I(s.K) + ", pad: " + I(s.Pad) + ", stride: " + I(s.Stride) + ", inHeight: " + I(s.InHeight) + ", outHeight: " + I(s.OutHeight) + ", width: " + I(s.Width) + ");");
    }

    private static void Rows(DepthwiseRowsStep s, SourceWriter w)
    {
        StepPrinters.WeightPointer(w, s, "weight", s.WeightOffset);
        StepPrinters.WeightPointer(w, s, "bias", s.BiasOffset);
        w.Line("global::MicroNet.Aot.Runtime.Depthwise.Rows(input: " + BaseRef(s.Input) + ", inputPlanes: " + s.InputPlanes.Name + ".Slice(lo, hi - lo), inPlane: " + I(s.InPlane) + ",");
        w.Line("    output: " + At(s.Output, "lo * " + I(s.OutPlane)) + ", outPlane: " + I(s.OutPlane) + ", weights: weight + lo * " + I(s.K) + ", bias: bias + lo,");
        w.Line("    k: " + I(s.K) + ", pad: " + I(s.Pad) + ", stride: " + I(s.Stride) + ", height: " + I(s.Height) + ", inWidth: " + I(s.InWidth) + ", outWidth: " + I(s.OutWidth) +
            ", relu6: " + Bool(s.Header.Relu6) + ");");
    }

    private static void Pair(DepthwisePairStep s, SourceWriter w)
    {
        StepPrinters.WeightPointer(w, s, "columnWeight", s.ColumnWeightOffset);
        StepPrinters.WeightPointer(w, s, "columnBias", s.ColumnBiasOffset);
        StepPrinters.WeightPointer(w, s, "rowWeight", s.RowWeightOffset);
        StepPrinters.WeightPointer(w, s, "rowBias", s.RowBiasOffset);
        w.Line("global::MicroNet.Aot.Runtime.Depthwise.Pair(input: " + BaseRef(s.Input) + ", inputPlanes: " + s.InputPlanes.Name + ".Slice(lo, hi - lo), inPlane: " + I(s.InPlane) + ",");
        w.Line("    output: " + At(s.Output, "lo * " + I(s.OutPlane)) + ", outPlane: " + I(s.OutPlane) + ",");
        w.Line("    columnWeights: columnWeight + lo * " + I(s.ColumnK) + ", columnBias: columnBias + lo, columnK: " + I(s.ColumnK) + ", columnPad: " + I(s.ColumnPad) + ",");
        w.Line("    rowWeights: rowWeight + lo * " + I(s.RowK) + ", rowBias: rowBias + lo, rowK: " + I(s.RowK) + ", rowPad: " + I(s.RowPad) + ",");
        w.Line("    height: " + I(s.Height) + ", width: " + I(s.Width) + ", relu6: " + Bool(s.Header.Relu6) + ");");
    }

    private static void PairStride2(PairStride2Step s, SourceWriter w)
    {
        // unit m: intermediate plane m, its ColumnInputs input planes and its RowMultiplier outputs
        StepPrinters.WeightPointer(w, s, "columnWeight", s.ColumnWeightOffset);
        StepPrinters.WeightPointer(w, s, "columnBias", s.ColumnBiasOffset);
        StepPrinters.WeightPointer(w, s, "rowWeight", s.RowWeightOffset);
        StepPrinters.WeightPointer(w, s, "rowBias", s.RowBiasOffset);
        string inputs = s.ColumnInputs == 1 ? "lo, hi - lo" : "lo * " + I(s.ColumnInputs) + ", (hi - lo) * " + I(s.ColumnInputs);
        string outputs = s.RowMultiplier == 1 ? "lo" : "lo * " + I(s.RowMultiplier);
        w.Line("global::MicroNet.Aot.Runtime.Depthwise.PairStride2(input: " + BaseRef(s.Input) + ", inputPlanes: " + s.InputPlanes.Name + ".Slice(" + inputs + "), columnInputs: " + I(s.ColumnInputs) +
            ", inPlane: " + I(s.InPlane) + ",");
        w.Line("    output: " + At(s.Output, outputs + " * " + I(s.OutPlane)) + ", outPlane: " + I(s.OutPlane) + ",");
        w.Line("    columnWeights: columnWeight + lo * " + I((long)s.ColumnInputs * s.ColumnK) + ", columnBias: columnBias + lo, columnK: " + I(s.ColumnK) + ", columnPad: " + I(s.ColumnPad) + ",");
        w.Line("    rowWeights: rowWeight + " + outputs + " * " + I(s.RowK) + ", rowBias: rowBias + " + outputs + ", rowK: " + I(s.RowK) + ", rowPad: " + I(s.RowPad) + ", rowMultiplier: " + I(s.RowMultiplier) + ",");
        w.Line("    inHeight: " + I(s.InHeight) + ", inWidth: " + I(s.InWidth) + ", relu6: " + Bool(s.Header.Relu6) + ");");
    }

    private static void HeadPool(HeadPoolStep s, SourceWriter w)
    {
        StepPrinters.TensorRef(w, "src", s.Input);
        StepPrinters.TensorRef(w, "dst", s.Output);
        w.Open("for (int c = lo; c < hi; c++)");
        w.Line("ref float plane = " + PlaneRef("src", Plane(s.InputPlanes, "c"), s.Plane) + ";");
        w.Line(Add + "(ref dst, c) = global::MicroNet.Aot.Runtime.Elementwise.HSwish(global::MicroNet.Aot.Runtime.Elementwise.SumRelu6(x: ref plane, n: " + I(s.Plane) + ") / " + I(s.Plane) + "f);");
        w.Close();
    }

    private static void Classifier(ClassifierStep s, SourceWriter w)
    {
        StepPrinters.TensorRef(w, "src", s.Input);
        StepPrinters.TensorRef(w, "dst", s.Output);
        w.Line("float* weight = w + " + I(s.WeightOffset) + "; // [" + I(s.OutFeatures) + ", " + I(s.InFeatures) + "], BatchNorm1d folded in");
        StepPrinters.WeightPointer(w, s, "bias", s.BiasOffset);
        w.Line("global::MicroNet.Aot.Runtime.Linear.MatVec(weights: weight + (nint)lo * " + I(s.InFeatures) + ", input: ref src, output: ref " + Add + "(ref dst, lo), rows: hi - lo, cols: " + I(s.InFeatures) + ");");
        w.Line("global::MicroNet.Aot.Runtime.Elementwise.AddBiasHSwish(x: ref " + Add + "(ref dst, lo), bias: bias + lo, n: hi - lo);");
    }

    /// <summary>Out of place: the means of this thread's channels, a barrier, the MLP on thread 0, a barrier, this thread's channels mixed.</summary>
    private static void ShiftMax(ShiftMaxStep s, SourceWriter w)
    {
        int c = s.Channels, e = s.Coefficients;
        StepPrinters.TensorRef(w, "src", s.Input);
        StepPrinters.TensorRef(w, "dst", s.Output);
        w.Line("ref float means = ref " + Add + "(ref arena, " + I(s.MeansOffset) + ");");
        w.Line("ref float squeeze = ref " + Add + "(ref arena, " + I(s.SqueezeOffset) + ");");
        w.Line("ref float coeff = ref " + Add + "(ref arena, " + I(s.CoefficientsOffset) + ");");
        w.Line("for (int c = lo; c < hi; c++) " + Add + "(ref means, c) = global::MicroNet.Aot.Runtime.Elementwise.Sum(x: " + PlaneRef("src", Plane(s.InputPlanes, "c"), s.Plane) +
            ", n: " + I(s.Plane) + ") / " + I(s.Plane) + "f;");
        w.Line("pool.Barrier(); // every channel's mean is in");
        w.Open("if (thread == 0)");
        StepPrinters.WeightPointer(w, s, "fc0", s.Fc0WeightOffset);
        StepPrinters.WeightPointer(w, s, "fc0Bias", s.Fc0BiasOffset);
        StepPrinters.WeightPointer(w, s, "fc2", s.Fc2WeightOffset);
        StepPrinters.WeightPointer(w, s, "fc2Bias", s.Fc2BiasOffset);
        w.Line("global::MicroNet.Aot.Runtime.Linear.MatVec(weights: fc0, input: ref means, output: ref squeeze, rows: " + I(s.Squeeze) + ", cols: " + I(c) + ");");
        w.Line("global::MicroNet.Aot.Runtime.Elementwise.AddBiasRelu(x: ref squeeze, bias: fc0Bias, n: " + I(s.Squeeze) + ");");
        w.Line("global::MicroNet.Aot.Runtime.Linear.MatVec(weights: fc2, input: ref squeeze, output: ref coeff, rows: " + I(c * e) + ", cols: " + I(s.Squeeze) + ");");
        w.Line("global::MicroNet.Aot.Runtime.ShiftMax.Coefficients(x: ref coeff, bias: fc2Bias, n: " + I(c * e) + ", scale: " + F(s.Scale) + ");");
        w.Close();
        w.Line("pool.Barrier(); // the coefficients are in");
        w.Open("for (int c = lo; c < hi; c++)");
        w.Line("ref float own = " + PlaneRef("src", Plane(s.InputPlanes, "c"), s.Plane) + ";");
        w.Line("ref float other = " + PlaneRef("src", s.PartnerPlanes.Name + "[c]", s.Plane) + ";");
        w.Line("float a1 = " + Add + "(ref coeff, c) + " + F(s.InitA0) + ", b1 = " + Add + "(ref coeff, " + I(c) + " + c) + " + F(s.InitB0) + ";");
        if (e == 4)
        {
            w.Line("float a2 = " + Add + "(ref coeff, " + I(2 * c) + " + c) + " + F(s.InitA1) + ", b2 = " + Add + "(ref coeff, " + I(3 * c) + " + c) + " + F(s.InitB1) + ";");
            w.Line("global::MicroNet.Aot.Runtime.ShiftMax.MaxOfTwoMixes(dst: " + PlaneRef("dst", "c", s.Plane) + ", x: ref own, partner: ref other, a1: a1, b1: b1, a2: a2, b2: b2, n: " + I(s.Plane) + ");");
        }
        else
            w.Line("global::MicroNet.Aot.Runtime.ShiftMax.Mix(dst: " + PlaneRef("dst", "c", s.Plane) + ", x: ref own, partner: ref other, a: a1, b: b1, n: " + I(s.Plane) + ");");
        w.Close();
    }
}
