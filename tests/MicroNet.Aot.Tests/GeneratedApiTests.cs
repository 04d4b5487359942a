using System;
using System.IO;
using System.Linq;
using System.Threading;
using MicroNet.Aot.Tests.Infrastructure;
using Xunit;

namespace MicroNet.Aot.Tests;

/// <summary>The generated API's contract: lengths, allocation, stacks, threads, weights checks.</summary>
public class GeneratedApiTests
{
    private static float[] Image(ModelFixtures.Prepared p, int length) => p.Inputs.AsSpan(0, length).ToArray();

    [Fact]
    public void Constants_describe_the_model()
    {
        var p = ModelFixtures.Get("m0");
        using var model = GeneratorHarness.Compile(ModelFixtures.Item(p));
        Assert.Equal(3, model.Constant<int>("InputChannels"));
        Assert.Equal(224, model.Constant<int>("InputHeight"));
        Assert.Equal(224, model.Constant<int>("InputWidth"));
        Assert.Equal(3 * 224 * 224, model.InputLength);
        Assert.Equal(1000, model.OutputLength);
        Assert.Equal(1_019_590L, model.Constant<long>("Parameters"));
        Assert.Equal(3_448_880L, model.Constant<long>("Macs"));
        Assert.InRange(model.ScratchLength, 1, 3 * 224 * 224 * 4);
    }

    [Fact]
    public void Wrong_lengths_throw_naming_the_expected_length()
    {
        var p = ModelFixtures.Get("custom-64");
        using var model = GeneratorHarness.Compile(ModelFixtures.Item(p));
        var e = Assert.Throws<ArgumentException>(() => model.Run(new float[model.InputLength - 1], new float[model.OutputLength]));
        Assert.Equal("input", e.ParamName);
        Assert.Contains("exactly " + model.InputLength + " floats", e.Message);
        e = Assert.Throws<ArgumentException>(() => model.Run(new float[model.InputLength], new float[model.OutputLength + 1]));
        Assert.Equal("output", e.ParamName);
        Assert.Contains("exactly " + model.OutputLength, e.Message);
        e = Assert.Throws<ArgumentException>(() => model.RunWithScratch(new float[model.InputLength], new float[model.OutputLength], new float[model.ScratchLength - 1]));
        Assert.Equal("scratch", e.ParamName);
        Assert.Contains("at least " + model.ScratchLength, e.Message);
    }

    [Fact]
    public void Both_overloads_allocate_nothing_after_the_first_call()
    {
        var p = ModelFixtures.Get("m0");
        using var model = GeneratorHarness.Compile(ModelFixtures.Item(p));
        var input = Image(p, model.InputLength);
        var output = new float[model.OutputLength];
        var scratch = new float[model.ScratchLength];
        for (int i = 0; i < 3; i++) { model.Run(input, output); model.RunWithScratch(input, output, scratch); } // first calls, tiering
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 50; i++) model.Run(input, output);
        long middle = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 50; i++) model.RunWithScratch(input, output, scratch);
        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, middle - before);
        Assert.Equal(0, after - middle);
    }

    [Fact]
    public void M3_at_224_runs_on_a_thread_with_a_1_MiB_stack()
    {
        var p = ModelFixtures.Get("m3");
        using var model = GeneratorHarness.Compile(ModelFixtures.Item(p));
        var input = Image(p, model.InputLength);
        var expected = p.ReferenceOutputs.AsSpan(0, model.OutputLength).ToArray();
        var output = new float[model.OutputLength];
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try { model.Run(input, output); } catch (Exception e) { failure = e; }
        }, maxStackSize: 1 << 20);
        thread.Start();
        thread.Join();
        Assert.Null(failure);
        Assert.Equal(ParityTests.ArgMax(expected), ParityTests.ArgMax(output));
    }

    [Fact]
    public void Eight_threads_at_once_give_identical_results()
    {
        var p = ModelFixtures.Get("m1");
        using var model = GeneratorHarness.Compile(ModelFixtures.Item(p));
        var input = Image(p, model.InputLength);
        var single = new float[model.OutputLength];
        model.Run(input, single);
        var results = new float[8][];
        var start = new Barrier(8);
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            var output = new float[model.OutputLength];
            start.SignalAndWait();
            for (int i = 0; i < 5; i++) model.Run(input, output);
            results[t] = output;
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        foreach (var r in results) Assert.Equal(single, r);
    }

    [Fact]
    public void A_blob_that_does_not_match_the_model_file_is_refused_on_first_use()
    {
        var p = ModelFixtures.Get("custom-64");
        var item = ModelFixtures.Item(p);
        byte[] blob = File.ReadAllBytes(Path.Combine(Path.GetDirectoryName(item.Path)!, item.WeightsFile!));

        var flipped = (byte[])blob.Clone();
        flipped[flipped.Length / 3] ^= 1;
        using (var model = GeneratorHarness.Compile(item, flipped))
        {
            var e = Assert.Throws<InvalidDataException>(() => model.Run(new float[model.InputLength], new float[model.OutputLength]));
            Assert.Contains("XxHash64", e.Message);
            Assert.Contains(item.ResourceName, e.Message);
        }
        using (var model = GeneratorHarness.Compile(item, blob.AsSpan(0, blob.Length - 4).ToArray()))
        {
            var e = Assert.Throws<InvalidDataException>(() => model.Run(new float[model.InputLength], new float[model.OutputLength]));
            Assert.Contains(blob.Length + "", e.Message);
        }
    }
}
