extern alias generator;
using System;
using System.IO;
using System.Linq;
using MicroNet.Aot.Tests.Infrastructure;
using Xunit;
using P = generator::MicroNet.Aot.Planning;

namespace MicroNet.Aot.Tests;

/// <summary>
/// The execution plan, asserted directly: which layer runs which runtime entry point, with which
/// shapes, and which layers run no code. Models with synthetic weights (no PyTorch needed).
/// </summary>
public class PlanTests
{
    internal static P.ExecutionPlan Plan(string json)
    {
        string weights = Path.GetFileName(json).Replace(".micronet.json", ".weights.bin");
        var input = new generator::MicroNet.Aot.Pipeline.ModelInput(json, File.ReadAllText(json), null, "Tests.Models", null, null, weights, true, false);
        var result = generator::MicroNet.Aot.ModelCompiler.Plan(input);
        Assert.True(result.Plan != null, string.Join("\n", result.Diagnostics.Select(d => d.Message)));
        return result.Plan!;
    }

    private static P.KernelStep Method(P.ExecutionPlan plan, string layer) =>
        plan.Steps.OfType<P.KernelStep>().Single(s => s.Header.Layers.Any(l => l.Name == layer));

    private static readonly Lazy<P.ExecutionPlan> M3 = new(() => Plan(SyntheticModels.Write(TestEnv.Preset("m3"), "PlanM3")));
    private static readonly Lazy<P.ExecutionPlan> M0 = new(() => Plan(SyntheticModels.Write(TestEnv.Preset("m0"), "PlanM0")));

    [Fact]
    public void M3_downsamples_with_fused_stride_2_pairs_of_its_kernel_size()
    {
        // features.4 (the preset's 4th row: s = 2, ks = 5) and features.9 (s = 2, ks = 5): the k x 1 / 1 x k pair fused
        foreach (var name in new[] { "features.4.layers.3.conv.0", "features.9.layers.3.conv.0" })
        {
            var pair = Assert.IsType<P.PairStride2Step>(Method(M3.Value, name));
            Assert.Equal(5, pair.ColumnK);
            Assert.Equal(5, pair.RowK);
            Assert.Equal(1, pair.ColumnInputs);
            Assert.Equal(2, pair.Header.Layers.Count); // one method for both convs
            // the k x 1 conv runs no code of its own: a comment naming the pair's method
            var column = Assert.IsType<P.NoCodeStep>(M3.Value.Steps.Single(s => s.Layer.Name == name));
            Assert.Contains(pair.Header.Method, column.Note);
        }
        // the 7x7 stride-1 pairs: Depthwise.Pair
        var stride1 = Assert.IsType<P.DepthwisePairStep>(Method(M3.Value, "features.10.layers.3.conv.0"));
        Assert.Equal((7, 7, 5, 5), (stride1.Height, stride1.Width, stride1.ColumnK, stride1.RowK));
    }

    [Fact]
    public void The_stem_is_fused_up_to_three_planes_and_unfused_beyond()
    {
        // M0's stem: 3x1 over RGB into 2 planes, then 1x3: one PairStride2Step reading 3 input planes per intermediate plane
        var m0Stem = Assert.IsType<P.PairStride2Step>(Method(M0.Value, "features.0.stem.0.conv.0"));
        Assert.Equal(3, m0Stem.ColumnInputs);
        // M3's stem has 4 intermediate planes: the dense k x 1 and the 1 x k run apart (measured faster)
        Assert.IsType<P.ColumnGroupStep>(Method(M3.Value, "features.0.stem.0.conv.0"));
        var rows = Assert.IsType<P.DepthwiseRowsStep>(Method(M3.Value, "features.0.stem.0.conv.2"));
        Assert.Equal(2, rows.Stride);
    }

    [Fact]
    public void Shift_max_runs_in_place_on_28x28_planes_in_cycle_order()
    {
        var shiftMaxes = M3.Value.Steps.OfType<P.ShiftMaxStep>().ToList();
        Assert.All(shiftMaxes, s => Assert.Equal(s.Plane >= 28 * 28, s.InPlace));
        var inPlace = shiftMaxes.First(s => s.InPlace);
        // the order visits every channel once, and each channel's partner is the next channel visited (or the saved first plane)
        var order = inPlace.Order!.Values.ToArray();
        Assert.Equal(Enumerable.Range(0, inPlace.Channels), order.OrderBy(c => c));
        Assert.Equal(inPlace.Cycles, inPlace.PartnerPlanes.Values.Count(p => p < 0));
        Assert.Contains(shiftMaxes, s => !s.InPlace);
    }

    [Fact]
    public void Relu6_after_a_clamping_conv_runs_inside_it()
    {
        foreach (var step in M3.Value.Steps.OfType<P.NoCodeStep>().Where(s => s.Layer.Op == "ReLU6"))
        {
            var before = M3.Value.Steps.OfType<P.KernelStep>().Last(k => k.Layer.Index < step.Layer.Index);
            Assert.True(before.Header.Relu6, step.Layer.Name + ": the conv before it does not clamp");
            Assert.Contains(before.Header.Method, step.Note);
        }
        Assert.DoesNotContain(M3.Value.Steps, s => s is P.Relu6Step);
    }

    /// <summary>
    /// The two golden models together reach every step type, so the golden files cover every
    /// printer. Relu6Step is the one exception: in MicroNet's blocks a ReLU6 always follows a conv
    /// that clamps as it stores (the test above), so only a hand-made graph would need it.
    /// </summary>
    [Fact]
    public void The_golden_models_reach_every_step_type()
    {
        var reached = GeneratorTests.GoldenModels.Where(m => !m.Int8).SelectMany(m => Plan(m.Path).Steps).Select(s => s.GetType()).ToHashSet();
        var all = typeof(P.Step).Assembly.GetTypes().Where(t => !t.IsAbstract && typeof(P.Step).IsAssignableFrom(t)).ToList();
        var missing = all.Where(t => !reached.Contains(t) && t != typeof(P.Relu6Step)).Select(t => t.Name).ToList();
        Assert.True(missing.Count == 0, "no golden model reaches " + string.Join(", ", missing));
        var shiftMaxes = GeneratorTests.GoldenModels.Where(m => !m.Int8).SelectMany(m => Plan(m.Path).Steps).OfType<P.ShiftMaxStep>().ToList();
        Assert.Contains(shiftMaxes, s => s.InPlace && s.Coefficients == 2);
        Assert.Contains(shiftMaxes, s => !s.InPlace && s.Coefficients == 4);
        Assert.Contains(GeneratorTests.GoldenModels.Where(m => !m.Int8).SelectMany(m => Plan(m.Path).Steps).OfType<P.AddStep>(), a => a.InputPlanes != null || a.OutputPlanes != null);
    }
}
