// Emit, the multi-threaded half: Run(input, output, pool) and RunBatch(inputs, outputs, pool), the
// thread function that walks the plan's phases (Planning/ParallelPlanner.cs) with a barrier after
// each, and the Lnnn_Part method of every split step (Printers/PartPrinters.cs).
using System.Linq;
using MicroNet.Aot.Emit.Printers;
using MicroNet.Aot.Planning;
using static MicroNet.Aot.Emit.CodeText;

namespace MicroNet.Aot.Emit;

internal sealed partial class Emitter
{
    private const string Pool = "global::MicroNet.Aot.Runtime.InferencePool";

    private void WritePoolApi(string input)
    {
        var model = _plan.Model;
        int parallel = _plan.Phases.Count(p => p.Partition != null);
        _w.Line("/// <summary>");
        _w.Line("/// Runs the network on one image on all of <paramref name=\"pool\"/>'s threads: each split layer's channels, groups or rows");
        _w.Line("/// are divided between the threads, the small layers run on one. The outputs equal <see cref=\"Run(global::System.ReadOnlySpan{float}, global::System.Span{float})\"/>'s");
        _w.Line("/// bit for bit, whatever the number of threads. Uses the calling thread's arena; allocates nothing after the thread's first call.");
        _w.Line("/// </summary>");
        _w.Line("/// <param name=\"input\">One image, normalized (see <see cref=\"InputMean\"/>, <see cref=\"InputStd\"/>) in NCHW order: exactly <see cref=\"InputLength\"/> floats.</param>");
        _w.Line("/// <param name=\"output\">Receives the network's output (the logits): exactly <see cref=\"OutputLength\"/> floats.</param>");
        _w.Line("/// <param name=\"pool\">The threads to run on (the caller is one of them); one inference at a time per pool.</param>");
        _w.Line("/// <exception cref=\"global::System.ArgumentException\">A span has the wrong length.</exception>");
        _w.Line("/// <exception cref=\"global::System.ArgumentNullException\"><paramref name=\"pool\"/> is null.</exception>");
        _w.Line("/// <exception cref=\"global::System.ObjectDisposedException\"><paramref name=\"pool\"/> was disposed.</exception>");
        _w.Line("/// <exception cref=\"global::System.IO.InvalidDataException\">The embedded weights are missing or do not match the model file (checked on the first call).</exception>");
        _w.Open("public static void Run(global::System.ReadOnlySpan<float> input, global::System.Span<float> output, " + Pool + " pool)");
        _w.Line("if (pool is null) throw new global::System.ArgumentNullException(nameof(pool));");
        _w.Line("if (input.Length != InputLength) ThrowLength(nameof(input), \"exactly\", InputLength, input.Length, \"" + input + " normalized NCHW\");");
        _w.Line("if (output.Length != OutputLength) ThrowLength(nameof(output), \"exactly\", OutputLength, output.Length, \"" + I(model.OutputLength) + " outputs\");");
        _w.Line("float[] arena = t_arena ??= new float[ScratchLength];");
        _w.Line("RunState state;");
        _w.Line("state.W = Weights;");
        _w.Open("fixed (float* px = input, py = output, pa = arena)");
        _w.Line("state.X = px; state.Y = py; state.Arena = pa;");
        _w.Line("pool.Execute(&RunPart, &state);");
        _w.Close();
        _w.Close();
        _w.Line();
        _w.Line("/// <summary>");
        _w.Line("/// Runs the network on a batch of images on <paramref name=\"pool\"/>'s threads, one image per thread at a time, each thread in its own arena.");
        _w.Line("/// The outputs equal those of one <see cref=\"Run(global::System.ReadOnlySpan{float}, global::System.Span{float})\"/> per image, bit for bit.");
        _w.Line("/// Allocates nothing after each pool thread's first call.");
        _w.Line("/// </summary>");
        _w.Line("/// <param name=\"inputs\">The images back to back, each normalized NCHW: a positive multiple of <see cref=\"InputLength\"/> floats.</param>");
        _w.Line("/// <param name=\"outputs\">Receives the outputs back to back: <see cref=\"OutputLength\"/> floats per image.</param>");
        _w.Line("/// <param name=\"pool\">The threads to run on (the caller is one of them); one batch at a time per pool.</param>");
        _w.Line("/// <exception cref=\"global::System.ArgumentException\">The spans' lengths do not fit (the message says how).</exception>");
        _w.Line("/// <exception cref=\"global::System.ArgumentNullException\"><paramref name=\"pool\"/> is null.</exception>");
        _w.Line("/// <exception cref=\"global::System.ObjectDisposedException\"><paramref name=\"pool\"/> was disposed.</exception>");
        _w.Line("/// <exception cref=\"global::System.IO.InvalidDataException\">The embedded weights are missing or do not match the model file (checked on the first call).</exception>");
        _w.Open("public static void RunBatch(global::System.ReadOnlySpan<float> inputs, global::System.Span<float> outputs, " + Pool + " pool)");
        _w.Line("if (pool is null) throw new global::System.ArgumentNullException(nameof(pool));");
        _w.Line("if (inputs.Length == 0 || inputs.Length % InputLength != 0)");
        _w.Line("    throw new global::System.ArgumentException($\"inputs must hold a positive multiple of {InputLength} floats (" + input + " normalized NCHW per image); it holds {inputs.Length}.\", nameof(inputs));");
        _w.Line("int images = inputs.Length / InputLength;");
        _w.Line("if (outputs.Length != (long)images * OutputLength)");
        _w.Line("    throw new global::System.ArgumentException($\"outputs must hold {(long)images * OutputLength} floats ({images} images x {OutputLength}); it holds {outputs.Length}.\", nameof(outputs));");
        _w.Line("_ = Weights; // opened (and checked) once, here, not by every thread");
        _w.Line("BatchState state;");
        _w.Line("state.Images = images; state.Next = 0;");
        _w.Open("fixed (float* px = inputs, py = outputs)");
        _w.Line("state.X = px; state.Y = py;");
        _w.Line("pool.Execute(&BatchPart, &state);");
        _w.Close();
        _w.Close();
        _w.Line();
        _w.Line("// What the pool's threads read: the caller's pinned spans, valid while Execute runs.");
        _w.Line("private struct RunState { public float* X, Y, Arena, W; }");
        _w.Line("private struct BatchState { public float* X, Y; public int Images, Next; }");
        _w.Line();
        _w.Line("// A batch: each thread takes the next image (an atomic counter) and runs it in its own arena.");
        _w.Line(Optimized);
        _w.Open("private static void BatchPart(" + Pool + " pool, int thread, void* state)");
        _w.Line("var s = (BatchState*)state;");
        _w.Line("float[] arena = t_arena ??= new float[ScratchLength];");
        _w.Line("for (int i = global::System.Threading.Interlocked.Increment(ref s->Next) - 1; i < s->Images; i = global::System.Threading.Interlocked.Increment(ref s->Next) - 1)");
        _w.Line("    Run(new global::System.ReadOnlySpan<float>(s->X + (long)i * InputLength, InputLength), new global::System.Span<float>(s->Y + (long)i * OutputLength, OutputLength), arena);");
        _w.Close();
        _w.Line();
        _w.Line("// One image on every thread of the pool: the phases of the plan in order, a barrier after each.");
        _w.Line("// " + I(_plan.Phases.Count) + " phases: " + I(parallel) + " split layers (their Lnnn_Part), the others on thread 0; a layer splits when two");
        _w.Line("// threads are estimated to save " + _plan.Class.ParallelMinMicroseconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) +
            " us or more on it, its input's move between cores counted (Planning/ParallelPlanner.cs).");
        _w.Line(Optimized);
        _w.Open("private static void RunPart(" + Pool + " pool, int thread, void* state)");
        _w.Line("var s = (RunState*)state;");
        _w.Line("int threads = pool.Threads;");
        _w.Line("float* w = s->W;");
        _w.Line("ref float x = ref *s->X;");
        _w.Line("ref float y = ref *s->Y;");
        _w.Line("ref float arena = ref *s->Arena;");
        for (int p = 0; p < _plan.Phases.Count; p++)
        {
            var phase = _plan.Phases[p];
            var steps = phase.Steps.Select(i => (KernelStep)_plan.Steps[i]).ToList();
            if (phase.Partition is PartitionInfo part)
            {
                _w.Line(steps[0].Header.Method + "_Part(ref x, ref arena, ref y, w, thread, threads, pool); // " + I(part.Units) + " " + part.Unit + ", ~" +
                    part.EstimatedMicroseconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " us on one thread, ~" +
                    ParallelPlanner.Gain(steps[0], part).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " us saved on two");
            }
            else
            {
                _w.Open("if (thread == 0)");
                foreach (var step in steps) _w.Line(step.Header.Method + "(ref x, ref arena, ref y, w);");
                _w.Close();
            }
            // the last phase needs no barrier: Execute returns when every thread has finished
            if (p < _plan.Phases.Count - 1) _w.Line("pool.Barrier();");
        }
        _w.Close();
    }

    /// <summary>The thread method of a split step: its part of the step's units.</summary>
    private void WritePartMethod(KernelStep step, PartitionInfo partition)
    {
        _w.Line();
        _w.Line("// " + step.Header.Method + " on several threads: this thread's part (the same calls over fewer " + partition.Unit + ")");
        _w.Line(Optimized);
        _w.Open("private static void " + step.Header.Method + "_Part(ref float x, ref float arena, ref float y, float* w, int thread, int threads, " + Pool + " pool)");
        PartPrinters.Print(step, partition, _w);
        _w.Close();
    }
}
