using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace MicroNet.Aot.Bench;

/// <summary>
/// `interleaved OUT.json [MODELS]`: ONNX Runtime and the generated code in one process, timed in
/// alternating rounds (31 rounds of about 50 ms each, ORT then MicroNet.Aot), so a slow spell of
/// the shared machine lands on both sides of a ratio instead of on one engine's whole run. Same
/// sessions and setup as the BenchmarkDotNet class (outputs checked against PyTorch first).
/// Three passes over the models; per pass, each engine's median round and the median of the
/// per-round ratios; reported: the pass with the median speed-up, and the range over the passes.
/// </summary>
public static class Interleaved
{
    public sealed record Result(string Model, double OrtMedianMs, double GeneratedMedianMs, double SpeedupMedian, int Rounds,
        double SpeedupLowest = 0, double SpeedupHighest = 0, int Passes = 1);

    public static List<Result> Run(IEnumerable<string> models, int passes = 3)
    {
        var names = models.ToList();
        var all = new List<Result>();
        for (int p = 0; p < passes; p++) all.AddRange(Pass(names));
        return names.Select(n =>
        {
            var of = all.Where(r => r.Model == n).OrderBy(r => r.SpeedupMedian).ToList();
            return of[of.Count / 2] with { SpeedupLowest = of[0].SpeedupMedian, SpeedupHighest = of[^1].SpeedupMedian, Passes = of.Count };
        }).ToList();
    }

    private static List<Result> Pass(List<string> models, int rounds = 31)
    {
        var results = new List<Result>();
        foreach (var name in models)
        {
            var bench = new InferenceBenchmarks { Model = name };
            bench.Setup();
            try
            {
                int ortRuns = Calibrate(bench.OnnxRuntime), generatedRuns = Calibrate(bench.Generated);
                var ort = new double[rounds];
                var generated = new double[rounds];
                var speedup = new double[rounds];
                for (int r = 0; r < rounds; r++)
                {
                    ort[r] = Time(bench.OnnxRuntime, ortRuns);
                    generated[r] = Time(bench.Generated, generatedRuns);
                    speedup[r] = ort[r] / generated[r];
                }
                var result = new Result(name, Median(ort), Median(generated), Median(speedup), rounds);
                results.Add(result);
                Console.WriteLine($"interleaved {name}: ONNX Runtime {result.OrtMedianMs:F4} ms, MicroNet.Aot {result.GeneratedMedianMs:F4} ms, speed-up {result.SpeedupMedian:F2}x (median of {rounds} paired rounds)");
            }
            finally
            {
                bench.Cleanup();
            }
        }
        return results;
    }

    public static void Save(string path, List<Result> results) =>
        File.WriteAllText(path, JsonSerializer.Serialize(results, InterleavedJson.Default.ListResult));

    public static Dictionary<string, Result> Read(string path) =>
        File.Exists(path)
            ? JsonSerializer.Deserialize(File.ReadAllText(path), InterleavedJson.Default.ListResult)!.ToDictionary(r => r.Model)
            : new Dictionary<string, Result>();

    /// <summary>Runs for half a second (warm-up), returns the runs that take about 50 ms.</summary>
    private static int Calibrate(Action run)
    {
        var clock = Stopwatch.StartNew();
        int calls = 0;
        while (clock.ElapsedMilliseconds < 500) { run(); calls++; }
        return Math.Max(1, calls / 10);
    }

    /// <summary>Milliseconds per run over <paramref name="runs"/> runs.</summary>
    private static double Time(Action run, int runs)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < runs; i++) run();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds / runs;
    }

    private static double Median(double[] values)
    {
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        return sorted[sorted.Length / 2];
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(List<Interleaved.Result>))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class InterleavedJson : System.Text.Json.Serialization.JsonSerializerContext { }
