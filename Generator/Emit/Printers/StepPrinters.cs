// The printers of the kernel steps, one file each, named after the step record they print
// (PointwiseStep.cs prints a Planning.PointwiseStep). A printer writes the body of the step's
// method: locals for the tensors and weights, then the runtime calls with named arguments. It
// only prints what the step says.
using System.Linq;
using MicroNet.Aot.Planning;
using static MicroNet.Aot.Emit.CodeText;

namespace MicroNet.Aot.Emit.Printers;

internal static class StepPrinters
{
    public static void Print(KernelStep step, SourceWriter w)
    {
        switch (step)
        {
            case PointwiseStep s: PointwiseStepPrinter.Print(s, w); break;
            case DepthwiseColumnsStep s: DepthwiseColumnsStepPrinter.Print(s, w); break;
            case DepthwiseRowsStep s: DepthwiseRowsStepPrinter.Print(s, w); break;
            case ColumnGroupStep s: ColumnGroupStepPrinter.Print(s, w); break;
            case DepthwisePairStep s: DepthwisePairStepPrinter.Print(s, w); break;
            case PairStride2Step s: PairStride2StepPrinter.Print(s, w); break;
            case MaxGroupPoolStep s: MaxGroupPoolStepPrinter.Print(s, w); break;
            case Relu6Step s: Relu6StepPrinter.Print(s, w); break;
            case AddStep s: AddStepPrinter.Print(s, w); break;
            case ShiftMaxStep s: ShiftMaxStepPrinter.Print(s, w); break;
            case HeadPoolStep s: HeadPoolStepPrinter.Print(s, w); break;
            case ClassifierStep s: ClassifierStepPrinter.Print(s, w); break;
            // a step type without a printer is a generator bug: ModelCompiler turns it into MNA0099
            default: throw new System.InvalidOperationException("no printer for " + step.GetType().Name);
        }
    }

    /// <summary><c>float* name = w + offset; // tensor [shape]</c> for the weight tensor at that blob offset.</summary>
    public static void WeightPointer(SourceWriter w, KernelStep step, string name, long offset)
    {
        var tensor = step.Header.Weights.FirstOrDefault(t => t.Offset == offset);
        w.Line("float* " + name + " = w + " + I(offset) + ";" + (tensor != null ? " // " + tensor.Name + " " + tensor.Shape : ""));
    }

    /// <summary><c>ref float name = ref ...;</c> for a tensor's first float.</summary>
    public static void TensorRef(SourceWriter w, string name, TensorRef tensor) => w.Line("ref float " + name + " = " + BaseRef(tensor) + ";");
}
