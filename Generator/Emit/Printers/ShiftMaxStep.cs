using MicroNet.Aot.Planning;
using static MicroNet.Aot.Emit.CodeText;

namespace MicroNet.Aot.Emit.Printers;

/// <summary>
/// Dynamic Shift-Max: the squeeze-excite MLP on the channel means, the coefficients named as in
/// the paper (a1, b1, a2, b2: coefficients of the channel and of its partner), then the mix of
/// each channel with its partner (<c>ShiftMax.Mix</c> or <c>ShiftMax.MaxOfTwoMixes</c>).
/// </summary>
internal static class ShiftMaxStepPrinter
{
    public static void Print(ShiftMaxStep s, SourceWriter w)
    {
        int c = s.Channels, e = s.Coefficients;
        StepPrinters.TensorRef(w, "src", s.Input);
        if (!s.InPlace) StepPrinters.TensorRef(w, "dst", s.Output);
        w.Line("ref float means = ref global::System.Runtime.CompilerServices.Unsafe.Add(ref arena, " + I(s.MeansOffset) + ");");
        w.Line("ref float squeeze = ref global::System.Runtime.CompilerServices.Unsafe.Add(ref arena, " + I(s.SqueezeOffset) + ");");
        w.Line("ref float coeff = ref global::System.Runtime.CompilerServices.Unsafe.Add(ref arena, " + I(s.CoefficientsOffset) + ");");
        StepPrinters.WeightPointer(w, s, "fc0", s.Fc0WeightOffset);
        StepPrinters.WeightPointer(w, s, "fc0Bias", s.Fc0BiasOffset);
        StepPrinters.WeightPointer(w, s, "fc2", s.Fc2WeightOffset);
        StepPrinters.WeightPointer(w, s, "fc2Bias", s.Fc2BiasOffset);
        w.Line("// squeeze-excite: channel means -> fc.0 + ReLU -> fc.2 + h_sigmoid -> (y - 0.5) * 2 * act_max");
        w.Line("for (int c = 0; c < " + I(c) + "; c++) global::System.Runtime.CompilerServices.Unsafe.Add(ref means, c) = global::MicroNet.Aot.Runtime.Elementwise.Sum(x: " + PlaneRef("src", Plane(s.InputPlanes, "c"), s.Plane) +
            ", n: " + I(s.Plane) + ") / " + I(s.Plane) + "f;");
        w.Line("global::MicroNet.Aot.Runtime.Linear.MatVec(weights: fc0, input: ref means, output: ref squeeze, rows: " + I(s.Squeeze) + ", cols: " + I(c) + ");");
        w.Line("global::MicroNet.Aot.Runtime.Elementwise.AddBiasRelu(x: ref squeeze, bias: fc0Bias, n: " + I(s.Squeeze) + ");");
        w.Line("global::MicroNet.Aot.Runtime.Linear.MatVec(weights: fc2, input: ref squeeze, output: ref coeff, rows: " + I(c * e) + ", cols: " + I(s.Squeeze) + ");");
        w.Line("global::MicroNet.Aot.Runtime.ShiftMax.Coefficients(x: ref coeff, bias: fc2Bias, n: " + I(c * e) + ", scale: " + F(s.Scale) + ");");
        w.Line("// y[c] = " + (e == 4 ? "max(a1 * x[c] + b1 * x[partner(c)], a2 * x[c] + b2 * x[partner(c)])" : "a1 * x[c] + b1 * x[partner(c)]") +
            ", partner(c): the channels as " + I(s.ShiftGroups) + " groups of " + I(c / s.ShiftGroups) + ",");
        w.Line("// rotated by one group, then by one channel inside the group; a1 = coeff[c] + init_a[0], b1 = coeff[" + I(c) + " + c] + init_b[0]" +
            (e == 4 ? ", a2 = coeff[" + I(2 * c) + " + c] + init_a[1], b2 = coeff[" + I(3 * c) + " + c] + init_b[1]" : ""));
        if (s.InPlace)
        {
            w.Line("// in place: the partner map's " + (s.Cycles == 1 ? "cycle runs" : I(s.Cycles) + " cycles run") + " in partner order (" + s.Order!.Name +
                "), so every partner is read before it is overwritten; a cycle's first plane is saved for its last channel");
            w.Line("ref float saved = ref global::System.Runtime.CompilerServices.Unsafe.Add(ref arena, " + I(s.SavedOffset) + ");");
            w.Line("bool cycleStart = true;");
            w.Open("for (int i = 0; i < " + I(c) + "; i++)");
            w.Line("int c = " + s.Order.Name + "[i], partnerPlane = " + s.PartnerPlanes.Name + "[i];");
            w.Line("ref float own = " + PlaneRef("src", Plane(s.InputPlanes, "c"), s.Plane) + ";");
            w.Line("if (cycleStart) global::MicroNet.Aot.Runtime.Elementwise.Copy(src: ref own, dst: ref saved, n: " + I(s.Plane) + ");");
            w.Line("ref float other = ref partnerPlane < 0 ? ref saved : " + PlaneRef("src", "partnerPlane", s.Plane) + ";");
            Coefficients(s, w);
            Mix(s, w, "ref own");
            w.Line("cycleStart = partnerPlane < 0;");
            w.Close();
            return;
        }
        w.Open("for (int c = 0; c < " + I(c) + "; c++)");
        w.Line("ref float own = " + PlaneRef("src", Plane(s.InputPlanes, "c"), s.Plane) + ";");
        w.Line("ref float other = " + PlaneRef("src", s.PartnerPlanes.Name + "[c]", s.Plane) + ";");
        Coefficients(s, w);
        Mix(s, w, PlaneRef("dst", "c", s.Plane));
        w.Close();
    }

    private static void Coefficients(ShiftMaxStep s, SourceWriter w)
    {
        int c = s.Channels;
        w.Line("float a1 = global::System.Runtime.CompilerServices.Unsafe.Add(ref coeff, c) + " + F(s.InitA0) + ", b1 = global::System.Runtime.CompilerServices.Unsafe.Add(ref coeff, " + I(c) + " + c) + " + F(s.InitB0) + ";");
        if (s.Coefficients == 4)
            w.Line("float a2 = global::System.Runtime.CompilerServices.Unsafe.Add(ref coeff, " + I(2 * c) + " + c) + " + F(s.InitA1) + ", b2 = global::System.Runtime.CompilerServices.Unsafe.Add(ref coeff, " + I(3 * c) + " + c) + " + F(s.InitB1) + ";");
    }

    private static void Mix(ShiftMaxStep s, SourceWriter w, string destination)
    {
        if (s.Coefficients == 4)
            w.Line("global::MicroNet.Aot.Runtime.ShiftMax.MaxOfTwoMixes(dst: " + destination + ", x: ref own, partner: ref other, a1: a1, b1: b1, a2: a2, b2: b2, n: " + I(s.Plane) + ");");
        else
            w.Line("global::MicroNet.Aot.Runtime.ShiftMax.Mix(dst: " + destination + ", x: ref own, partner: ref other, a: a1, b: b1, n: " + I(s.Plane) + ");");
    }
}
