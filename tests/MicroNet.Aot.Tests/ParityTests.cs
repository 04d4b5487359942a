using System;
using System.Linq;
using MicroNet.Aot.Tests.Infrastructure;
using Xunit;

namespace MicroNet.Aot.Tests;

/// <summary>
/// Generated C# against the PyTorch reference: seeded checkpoints imported with `micronet import`,
/// compiled by the generator, run on seeded inputs. Every output within 1e-4 * max(1, |reference|),
/// identical argmax.
/// </summary>
public class ParityTests
{
    public static TheoryData<string> Labels => new(ModelFixtures.Configs.Keys);

    [Theory]
    [MemberData(nameof(Labels))]
    public void Generated_model_matches_the_pytorch_reference(string label)
    {
        var p = ModelFixtures.Get(label);
        using var model = GeneratorHarness.Compile(ModelFixtures.Item(p));
        int inLength = model.InputLength, outLength = model.OutputLength;
        // the memory plan reaches its liveness lower bound (fused pairs and in-place Shift-Max included)
        Assert.Equal(model.Constant<int>("ScratchLowerBound"), model.ScratchLength);
        Assert.Equal(p.Inputs.Length, inLength * p.Images);
        Assert.Equal(p.ReferenceOutputs.Length, outLength * p.Images);
        var output = new float[outLength];
        double worst = 0;
        for (int image = 0; image < p.Images; image++)
        {
            model.Run(p.Inputs.AsSpan(image * inLength, inLength), output);
            var expected = p.ReferenceOutputs.AsSpan(image * outLength, outLength);
            for (int i = 0; i < outLength; i++)
            {
                double error = Math.Abs(output[i] - expected[i]) / Math.Max(1.0, Math.Abs(expected[i]));
                worst = Math.Max(worst, error);
                Assert.True(error <= 1e-4, $"{label} image {image} output {i}: generated {output[i]:R}, reference {expected[i]:R} (relative error {error:E2})");
            }
            Assert.Equal(ArgMax(expected), ArgMax(output));
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"{label}: worst relative error {worst:E2} over {p.Images} images x {outLength} outputs");
        // the outputs must carry information, or the comparison proves nothing
        Assert.True(p.ReferenceOutputs.Distinct().Count() > outLength / 2, "degenerate reference outputs");
    }

    internal static int ArgMax(ReadOnlySpan<float> v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
