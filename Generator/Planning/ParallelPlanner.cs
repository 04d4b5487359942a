// Planning for several threads (a generated Run(input, output, pool)): which steps split across
// the pool's threads, along which work units, and which run on one thread. The split is static:
// every step's units (output channels, groups, intermediate planes, rows) are divided into
// contiguous parts at run time from constants (InferencePool.PartStart), in whole blocks where the
// kernel blocks its work, so each value is computed by the same code, in the same order, as on one
// thread: outputs are bit-identical for every thread count (docs/determinism.md).
//
// The cost model: a step splits when its estimated time on one thread is at least
// MinParallelMicroseconds, a few times what a barrier costs (about 1 us on this 2-core VM). The
// estimates use the rates the per-layer profile of M3 measured per operator (docs/benchmarks/
// profile-M3.md: 1x1 group convs 35-50 GMAC/s, depthwise 15-30, the classifier's matrix-vector
// products 10.6, Shift-Max's mixing about 1.5 G plane floats/s). Consecutive steps that do not
// split run on thread 0 as one phase, the others waiting at the phase's closing barrier.
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
            if (partition == null || partition.EstimatedMicroseconds < minMicroseconds || partition.Units < 2 * partition.Align)
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
