using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using MicroNet.Aot.Runtime;

namespace MicroNet.Aot.Bench;

/// <summary>
/// `threads OUT.json [MODELS]`: one image on 1, 2 and 4 threads of an InferencePool, and a batch of
/// 16 images, timed in paired rounds in one process (a slow spell of the shared machine lands on
/// both sides of each ratio). Per model: the outputs of every configuration are first checked
/// bit-identical to the single-threaded Run; then 31 rounds, each timing the single-threaded Run,
/// Run on 2 threads, Run on 4 threads (more threads than this machine's cores when it has fewer:
/// reported as oversubscribed), 16 single calls and RunBatch of 16 on 2 threads, about 30 ms each;
/// reported: each configuration's median round and the median of the per-round ratios. Finally the
/// CPU an idle pool of 2 uses over one second (the process's CPU time while the caller sleeps).
/// </summary>
public static class Threads
{
    public sealed record Result(string Model, double SingleMs, double TwoThreadsMs, double FourThreadsMs, double Speedup2, double Speedup4,
        double Batch16SingleMs, double Batch16PoolMs, double BatchSpeedup2, int Rounds, int Cores, double PoolOfOneMs);

    public sealed record Report(int Cores, string Cpu, double IdlePoolCpuMsPerSecond, List<Result> Models);

    private const int Batch = 16;

    public static Report Run(IEnumerable<string> models, int rounds = 31)
    {
        var input = BenchData.Input();
        var results = new List<Result>();
        using var pool1 = new InferencePool(1);
        using var pool2 = new InferencePool(2);
        using var pool4 = new InferencePool(4);
        foreach (var name in models)
        {
            var model = GeneratedModel.Get(name);
            int m = model.OutputLength, n = model.InputLength;
            var output = new float[m];
            var single = new float[m];
            model.RunThreadArena(input, single);
            BenchData.CheckAgainstReference("generated", name, single);
            model.RunOnPool(input, output, pool2);
            Check(name, "2 threads", single, output);
            model.RunOnPool(input, output, pool4);
            Check(name, "4 threads", single, output);
            var inputs = new float[Batch * n];
            for (int i = 0; i < Batch; i++) input.CopyTo(inputs.AsSpan(i * n));
            var outputs = new float[Batch * m];
            model.RunBatch(inputs, outputs, pool2);
            for (int i = 0; i < Batch; i++) Check(name, "RunBatch image " + i, single, outputs.AsSpan(i * m, m).ToArray());

            Action one = () => model.RunThreadArena(input, output);
            Action two = () => model.RunOnPool(input, output, pool2);
            Action four = () => model.RunOnPool(input, output, pool4);
            Action sixteen = () => { for (int i = 0; i < Batch; i++) model.RunThreadArena(inputs.AsSpan(i * n, n), outputs.AsSpan(i * m, m)); };
            Action batch = () => model.RunBatch(inputs, outputs, pool2);
            Action onePool = () => model.RunOnPool(input, output, pool1);
            var actions = new[] { one, two, four, sixteen, batch, onePool };
            // warm-up (tier-1 code everywhere), then the runs per round for ~30 ms each
            var warm = Stopwatch.StartNew();
            while (warm.ElapsedMilliseconds < 1500) foreach (var a in actions) a();
            var runs = actions.Select(Calibrate).ToArray();
            var times = actions.Select(_ => new double[rounds]).ToArray();
            for (int r = 0; r < rounds; r++)
                for (int k = 0; k < actions.Length; k++)
                    times[k][r] = Time(actions[k], runs[k]);
            double Median(double[] v) { var s = v.OrderBy(x => x).ToArray(); return s[s.Length / 2]; }
            double RatioMedian(double[] a, double[] b) => Median(a.Zip(b, (x, y) => x / y).ToArray());
            results.Add(new Result(name, Median(times[0]), Median(times[1]), Median(times[2]),
                RatioMedian(times[0], times[1]), RatioMedian(times[0], times[2]),
                Median(times[3]), Median(times[4]), RatioMedian(times[3], times[4]), rounds, Environment.ProcessorCount, Median(times[5])));
            var last = results[^1];
            Console.WriteLine(FormattableString.Invariant(
                $"{name}: 1 thread {last.SingleMs:F3} ms, 2 threads {last.TwoThreadsMs:F3} ms ({last.Speedup2:F2}x), 4 threads {last.FourThreadsMs:F3} ms ({last.Speedup4:F2}x{(Environment.ProcessorCount < 4 ? ", oversubscribed" : "")}); batch of 16: {last.Batch16SingleMs:F3} ms single calls, {last.Batch16PoolMs:F3} ms RunBatch on 2 ({last.BatchSpeedup2:F2}x); Run on a pool of 1 {last.PoolOfOneMs:F3} ms"));
        }
        double idle = IdleCpu(pool2);
        Console.WriteLine(FormattableString.Invariant($"an idle pool of 2: {idle:F1} ms of CPU per second (the whole process)"));
        return new Report(Environment.ProcessorCount, Cpu(), idle, results);
    }

    private static void Check(string model, string what, float[] expected, float[] actual)
    {
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                throw new InvalidOperationException($"{model} {what}: output {i} is {actual[i]:R}, the single-threaded Run gives {expected[i]:R}");
    }

    private static int Calibrate(Action a)
    {
        var clock = Stopwatch.StartNew();
        int calls = 0;
        while (clock.ElapsedMilliseconds < 30) { a(); calls++; }
        return Math.Max(1, calls);
    }

    /// <summary>Milliseconds per call over <paramref name="runs"/> calls.</summary>
    private static double Time(Action a, int runs)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < runs; i++) a();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds / runs;
    }

    private static double IdleCpu(InferencePool pool)
    {
        System.Threading.Thread.Sleep(200);
        var process = Process.GetCurrentProcess();
        var before = process.TotalProcessorTime;
        System.Threading.Thread.Sleep(1000);
        process.Refresh();
        return (process.TotalProcessorTime - before).TotalMilliseconds;
    }

    private static string Cpu()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?.Split(':', 2)[1].Trim() ?? "unknown";
        }
        catch (IOException) { return "unknown"; }
    }

    public static void Save(string path, Report report) =>
        File.WriteAllText(path, JsonSerializer.Serialize(report, ThreadsJson.Default.Report));
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Threads.Report))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class ThreadsJson : System.Text.Json.Serialization.JsonSerializerContext { }
