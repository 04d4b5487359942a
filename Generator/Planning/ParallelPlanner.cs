// Planning for several threads (a generated Run(input, output, pool)): which steps split across
// the pool's threads, along which work units, and which run on one thread. The split is static:
// every step's units (output channels, groups, intermediate planes, rows) are divided into
// contiguous parts at run time from constants (InferencePool.PartStart), in whole blocks where the
// kernel blocks its work, so each value is computed by the same code, in the same order, as on one
// thread: outputs are bit-identical for every thread count (docs/determinism.md).
//
// The cost model, from measurements on this project's 2-core VM (docs/benchmarks/threads.md):
// a step's time on one thread is estimated from the rates the per-layer profile of M3 measured
// per operator (docs/benchmarks/profile-M3.md: 1x1 group convs 35-50 GMAC/s, depthwise 15-30,
// the classifier's matrix-vector products 10.6, Shift-Max's mixing about 1.5 G plane floats/s).
// Split on two threads it takes half that, plus two barriers (about 0.5 us each), plus moving the
// half of its input that the other core wrote: `micronet-bench handoff` measured 0.2-0.4 ms per MB
// written on one core and read on the other (against about 0.03 locally). Channel-wise splits
// make every layer read half its input from the other core, so on that machine only the steps
// whose input is small beside their work gain (the classifier: a 1,000-float input, megabytes of
// weights each thread reads on its own); forcing every split (MicroNetParallelMinMicroseconds=0)
// made M3 1.7x slower. A step splits when the estimate says it gains at least
// MinParallelMicroseconds. Consecutive steps that do not split run on thread 0 as one phase, the
// others waiting at the phase's closing barrier.
using System.Collections.Generic;
using System.Linq;
using MicroNet.Aot.Pipeline;

namespace MicroNet.Aot.Planning;

/// <summary>A phase of the multi-threaded Run: one split step, or consecutive steps on thread 0 (<see cref="Partition"/> null).</summary>
internal sealed record Phase(EquatableArray<int> Steps, PartitionInfo? Partition);

/// <summary>How a split step divides its work: <see cref="Units"/> units of what <see cref="Unit"/> names, in blocks of <see cref="Align"/>.</summary>
internal sealed record PartitionInfo(string Unit, int Units, int Align, double EstimatedMicroseconds);

internal static class ParallelPlanner
{
    /// <summary>A step splits across threads when it takes at least this long on one (estimated).</summary>
    public const double MinParallelMicroseconds = 4.0;

    // measured rates (see the header): MACs or floats per microsecond
    private const double PointwiseMacsPerMicrosecond = 40_000;
    private const double DepthwiseMacsPerMicrosecond = 20_000;
    private const double LinearMacsPerMicrosecond = 10_000;
    private const double ShiftMaxFloatsPerMicrosecond = 1_500;
    private const double PoolFloatsPerMicrosecond = 4_000;

    // a float written by one core and read by the other: 0.25 ms per MB (micronet-bench handoff)
    private const double CrossCoreMicrosecondsPerFloat = 0.25e3 / (1 << 20) * 4;
    private const double BarrierMicroseconds = 0.5;

    // kernels that block their work by eight channels / rows: parts start on those blocks
    private const int KernelBlock = 8;

    /// <param name="minMicroseconds">The threshold (MSBuild property MicroNetParallelMinMicroseconds; 0 splits every step that can split, as the tests do).</param>
    public static EquatableArray<Phase> Plan(IReadOnlyList<Step> steps, double minMicroseconds = MinParallelMicroseconds)
    {
        var phases = new List<Phase>();
        var serial = new List<int>();
        void Flush()
        {
            if (serial.Count == 0) return;
            phases.Add(new Phase(new EquatableArray<int>(serial.ToArray()), null));
            serial.Clear();
        }
        for (int i = 0; i < steps.Count; i++)
        {
            if (steps[i] is not KernelStep kernel) continue;
            var partition = Partition(kernel);
            if (partition == null || partition.Units < 2 * partition.Align || minMicroseconds > 0 && Gain(kernel, partition) < minMicroseconds)
            {
                serial.Add(i);
                continue;
            }
            Flush();
            phases.Add(new Phase(new EquatableArray<int>(new[] { i }), partition));
        }
        Flush();
        return new EquatableArray<Phase>(phases.ToArray());
    }

    /// <summary>
    /// The time two threads save on the step, estimated: half its work, less two barriers and the
    /// half of its input that crosses from the other core. With a threshold of 0 every step that
    /// can split does (the tests, to run every split path), whatever the estimate.
    /// </summary>
    public static double Gain(KernelStep step, PartitionInfo partition) =>
        partition.EstimatedMicroseconds / 2 - 2 * BarrierMicroseconds - step.Input.Floats / 2.0 * CrossCoreMicrosecondsPerFloat;

    /// <summary>How a step would split (null: it never does: in-place steps, the cheap elementwise ones).</summary>
    public static PartitionInfo? Partition(KernelStep step)
    {
        long macs = step.Header.Layers.Sum(l => l.Macs);
        switch (step)
        {
            case PointwiseStep s:
                return new PartitionInfo("groups", s.Groups, 1, macs / PointwiseMacsPerMicrosecond);
            case ColumnGroupStep s when s.Groups > 1:
                return new PartitionInfo("groups", s.Groups, 1, macs / DepthwiseMacsPerMicrosecond);
            case DepthwiseColumnsStep s:
                return new PartitionInfo("channels", s.InputPlanes.Values.Count, KernelBlock, macs / DepthwiseMacsPerMicrosecond);
            case DepthwiseRowsStep s:
                return new PartitionInfo("channels", s.InputPlanes.Values.Count, KernelBlock, macs / DepthwiseMacsPerMicrosecond);
            case DepthwisePairStep s:
                return new PartitionInfo("channels", s.InputPlanes.Values.Count, KernelBlock, macs / DepthwiseMacsPerMicrosecond);
            case PairStride2Step s:
                return new PartitionInfo("intermediate planes", s.InputPlanes.Values.Count / s.ColumnInputs, KernelBlock, macs / DepthwiseMacsPerMicrosecond);
            case ShiftMaxStep s when !s.InPlace:
                return new PartitionInfo("channels", s.Channels, 1, (double)s.Channels * s.Plane / ShiftMaxFloatsPerMicrosecond);
            case HeadPoolStep s:
                return new PartitionInfo("channels", s.Channels, 1, (double)s.Channels * s.Plane / PoolFloatsPerMicrosecond);
            case ClassifierStep s:
                return new PartitionInfo("rows", s.OutFeatures, KernelBlock, macs / LinearMacsPerMicrosecond);
            default:
                return null;
        }
    }
}
