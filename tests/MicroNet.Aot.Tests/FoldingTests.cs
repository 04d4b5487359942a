using System;
using System.Collections.Generic;
using MicroNet.Aot.Cli;
using MicroNet.Aot.Cli.Import;
using MicroNet.Aot.Model.Lowering;
using Xunit;

namespace MicroNet.Aot.Tests;

/// <summary>BatchNorm folding's refusals, on hand-made tensors.</summary>
public class FoldingTests
{
    private static float[] Fold(double variance)
    {
        var tensors = new Dictionary<string, double[]>
        {
            ["conv.weight"] = new[] { 1.0, 2.0 },
            ["bn.weight"] = new[] { 1.0 }, ["bn.bias"] = new[] { 0.0 }, ["bn.running_mean"] = new[] { 0.0 }, ["bn.running_var"] = new[] { variance },
        };
        return Folding.Fold(new StoredTensor("conv.weight", new[] { 1, 2 }, StoredRole.Weight, "conv.weight", null, "bn"), k => tensors[k]);
    }

    [Fact]
    public void A_variance_that_is_positive_only_in_float64_is_refused()
    {
        Assert.Equal(2, Fold(1.0).Length);
        // -0.99999999e-5 + 1e-5 > 0 in float64, but float32 (PyTorch's arithmetic) rounds the sum to 0: sqrt(0) -> inf
        Assert.True(-0.99999999e-5 + Folding.BatchNormEps > 0);
        var e = Assert.Throws<CliError>(() => Fold(-0.99999999e-5));
        Assert.Contains("negative variance", e.Message);
        Assert.Throws<CliError>(() => Fold(-1.0));
    }
}
