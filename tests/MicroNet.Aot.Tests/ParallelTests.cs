using System;
using System.IO;
using System.Linq;
using System.Threading;
using MicroNet.Aot.Runtime;
using MicroNet.Aot.Tests.Infrastructure;
using Xunit;

namespace MicroNet.Aot.Tests;

/// <summary>
/// Several threads: Run(input, output, pool) splits layers across an InferencePool, RunBatch runs
/// images across it; both must equal the single-threaded Run bit for bit for every thread count
/// (the determinism contract, docs/determinism.md). The models are generated with the cost model's
/// threshold at 0, so every layer that can split does, and every part printer runs.
/// </summary>
public class ParallelTests
{
    public static TheoryData<string> Labels => new(ModelFixtures.Configs.Keys);

    private static void AssertBitIdentical(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: output {i} is {actual[i]:R}, single-threaded Run gives {expected[i]:R}");
    }

    [Theory]
    [MemberData(nameof(Labels))]
    public void Every_thread_count_gives_the_single_threaded_outputs_bit_for_bit(string label)
    {
        var p = ModelFixtures.Get(label);
        using var model = GeneratorHarness.Compile(ModelFixtures.Item(p), parallelMinMicroseconds: 0);
        Assert.Contains("_Part(ref x, ref arena, ref y, w, thread, threads, pool);", model.Source); // layers do split
        int n = model.InputLength, m = model.OutputLength;
        var single = new float[p.Images * m];
        for (int i = 0; i < p.Images; i++)
            model.Run(p.Inputs.AsSpan(i * n, n), single.AsSpan(i * m, m));
        for (int threads = 1; threads <= 4; threads++)
        {
            using var pool = new InferencePool(threads);
            var split = new float[p.Images * m];
            for (int round = 0; round < 3; round++) // the same on repeated calls (the barriers reset)
            {
                for (int i = 0; i < p.Images; i++)
                    model.RunOnPool(p.Inputs.AsSpan(i * n, n), split.AsSpan(i * m, m), pool);
                AssertBitIdentical(single, split, $"{label}, Run on {threads} threads, round {round}");
            }
            var batch = new float[p.Images * m];
            model.RunBatch(p.Inputs.AsSpan(0, p.Images * n), batch, pool);
            AssertBitIdentical(single, batch, $"{label}, RunBatch on {threads} threads");
        }
    }

    /// <summary>
    /// The default cost model (what users get) counts the input's move between cores: on M3 it splits
    /// the classifier's matrix-vector products (small inputs, megabytes of weights) and keeps the
    /// channel-wise layers on one thread; the result still matches bit for bit.
    /// </summary>
    [Fact]
    public void The_default_cost_model_splits_what_gains_and_matches_bit_for_bit()
    {
        var p = ModelFixtures.Get("m3");
        using var model = GeneratorHarness.Compile(ModelFixtures.Item(p));
        var split = model.Source.Split('\n').Where(l => l.TrimStart().StartsWith("L", StringComparison.Ordinal) && l.Contains("_Part(ref x")).ToList();
        TestContext.Current.TestOutputHelper?.WriteLine("M3, split:\n" + string.Join("\n", split));
        Assert.NotEmpty(split);
        Assert.All(split, l => Assert.Contains("classifier", l));
        var single = new float[model.OutputLength];
        var two = new float[model.OutputLength];
        model.Run(p.Inputs.AsSpan(0, model.InputLength), single);
        using var pool = new InferencePool(2);
        model.RunOnPool(p.Inputs.AsSpan(0, model.InputLength), two, pool);
        AssertBitIdentical(single, two, "M3 on 2 threads");
    }

    [Fact]
    public void Lengths_and_a_disposed_pool_are_refused_clearly()
    {
        var p = ModelFixtures.Get("custom-64");
        using var model = GeneratorHarness.Compile(ModelFixtures.Item(p));
        var pool = new InferencePool(2);
        var e = Assert.Throws<ArgumentException>(() => model.RunBatch(new float[model.InputLength * 2 + 1], new float[model.OutputLength * 2], pool));
        Assert.Equal("inputs", e.ParamName);
        Assert.Contains("multiple of " + model.InputLength, e.Message);
        e = Assert.Throws<ArgumentException>(() => model.RunBatch(new float[model.InputLength * 2], new float[model.OutputLength * 3], pool));
        Assert.Equal("outputs", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => model.RunOnPool(new float[model.InputLength - 1], new float[model.OutputLength], pool));
        Assert.Equal("input", e.ParamName);
        Assert.Throws<ArgumentNullException>(() => model.RunOnPool(new float[model.InputLength], new float[model.OutputLength], null!));
        pool.Dispose();
        pool.Dispose(); // twice is fine
        Assert.Throws<ObjectDisposedException>(() => model.RunOnPool(new float[model.InputLength], new float[model.OutputLength], pool));
        Assert.Throws<ArgumentOutOfRangeException>(() => new InferencePool(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new InferencePool(InferencePool.MaxThreads + 1));
    }

    /// <summary>The worker threads of a pool, found by name in /proc (Linux): their user + system CPU ticks, and how many there are.</summary>
    private static (int Threads, long Ticks) Workers(InferencePool pool)
    {
        int count = 0;
        long ticks = 0;
        foreach (var task in Directory.GetDirectories("/proc/self/task"))
        {
            string comm;
            try { comm = File.ReadAllText(Path.Combine(task, "comm")).Trim(); }
            catch (IOException) { continue; } // the thread just ended
            if (!comm.StartsWith($"MNPool{pool.Id}-", StringComparison.Ordinal)) continue;
            count++;
            string stat = File.ReadAllText(Path.Combine(task, "stat"));
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            ticks += long.Parse(fields[11]) + long.Parse(fields[12]); // utime, stime (fields 14 and 15 of stat)
        }
        return (count, ticks);
    }

    [Fact]
    public void An_idle_pool_sleeps_and_disposal_ends_its_threads()
    {
        Assert.SkipUnless(Directory.Exists("/proc/self/task"), "needs Linux's /proc to see the pool's threads");
        var p = ModelFixtures.Get("custom-64");
        using var model = GeneratorHarness.Compile(ModelFixtures.Item(p), parallelMinMicroseconds: 0);
        var pool = new InferencePool(4);
        var output = new float[model.OutputLength];
        for (int i = 0; i < 20; i++) model.RunOnPool(p.Inputs.AsSpan(0, model.InputLength), output, pool);
        Thread.Sleep(100);
        var before = Workers(pool);
        Assert.Equal(3, before.Threads);
        Thread.Sleep(1000);
        var after = Workers(pool);
        // clock ticks are 10 ms: three idle threads over a second may use at most 5 (50 ms of CPU per second)
        long used = after.Ticks - before.Ticks;
        TestContext.Current.TestOutputHelper?.WriteLine($"idle pool of 4: {used * 10} ms of CPU in 1 s");
        Assert.True(used <= 5, $"an idle pool used {used * 10} ms of CPU in one second");
        pool.Dispose();
        // Dispose joins the managed threads; the OS threads leave /proc a moment later
        var gone = System.Diagnostics.Stopwatch.StartNew();
        while (Workers(pool).Threads > 0 && gone.ElapsedMilliseconds < 5000) Thread.Sleep(20);
        Assert.Equal(0, Workers(pool).Threads);
    }

    /// <summary>One pool used by several threads at once: allowed; the calls are served one after the other, each with the right result.</summary>
    [Fact]
    public void One_pool_serves_several_calling_threads_one_inference_at_a_time()
    {
        var p = ModelFixtures.Get("custom-64");
        using var model = GeneratorHarness.Compile(ModelFixtures.Item(p), parallelMinMicroseconds: 0);
        int n = model.InputLength, m = model.OutputLength;
        var expected = new float[p.Images][];
        for (int i = 0; i < p.Images; i++) { expected[i] = new float[m]; model.Run(p.Inputs.AsSpan(i * n, n), expected[i]); }
        using var pool = new InferencePool(2);
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var callers = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            var output = new float[m];
            for (int round = 0; round < 25; round++)
            {
                int image = (t + round) % p.Images;
                model.RunOnPool(p.Inputs.AsSpan(image * n, n), output, pool);
                if (!output.AsSpan().SequenceEqual(expected[image])) failures.Add($"caller {t}, round {round}");
            }
        })).ToList();
        callers.ForEach(c => c.Start());
        callers.ForEach(c => c.Join());
        Assert.Empty(failures);
    }

    private static unsafe void Nested(InferencePool pool, int thread, void* state)
    {
        if (thread == 0) pool.Execute(&Nested, state); // from inside its own inference
    }

    [Fact]
    public unsafe void A_call_from_inside_the_pools_own_inference_is_refused()
    {
        using var pool = new InferencePool(2);
        var e = Assert.Throws<AggregateException>(() => pool.Execute(&Nested, null));
        Assert.IsType<InvalidOperationException>(e.InnerException);
        Assert.Contains("inside its own inference", e.InnerException!.Message);
        // and the pool still works afterwards
        var p = ModelFixtures.Get("custom-64");
        using var model = GeneratorHarness.Compile(ModelFixtures.Item(p), parallelMinMicroseconds: 0);
        var a = new float[model.OutputLength];
        var b = new float[model.OutputLength];
        model.Run(p.Inputs.AsSpan(0, model.InputLength), a);
        model.RunOnPool(p.Inputs.AsSpan(0, model.InputLength), b, pool);
        AssertBitIdentical(a, b, "after a refused call");
    }

    [Theory]
    [InlineData(10, 1, 3)]
    [InlineData(1000, 8, 2)]
    [InlineData(7, 8, 4)]
    [InlineData(3, 1, 4)]
    public void Parts_cover_the_units_once_on_block_boundaries(int units, int align, int parts)
    {
        int previous = 0;
        Assert.Equal(0, InferencePool.PartStart(units, align, 0, parts));
        for (int part = 1; part <= parts; part++)
        {
            int start = InferencePool.PartStart(units, align, part, parts);
            Assert.True(start >= previous, "parts overlap");
            Assert.True(start == units || start % align == 0, "a part starts inside a block");
            previous = start;
        }
        Assert.Equal(units, previous);
    }
}
