using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using MicroNet.Aot.Bench.Models;

namespace MicroNet.Aot.Bench;

/// <summary>
/// `int8 OUT.json [OUT.md]`: the generated int8 class of each model (MicroNetMnInt8, quantized by
/// bench/run.sh on 8 seeded random inputs) against the same model's generated float32 class, one
/// thread, in one process, in alternating rounds (31 rounds of about 50 ms, float then int8), three
/// passes; per pass the median round of each and the median of the per-round ratios; reported: the
/// pass with the median ratio and the range over the passes. Same method as `interleaved`.
/// </summary>
public static class Int8Bench
{
    public sealed record Result(string Model, double FloatMedianMs, double Int8MedianMs, double Int8SpeedupMedian, int Rounds,
        double SpeedupLowest, double SpeedupHighest, int FloatArenaBytes, int Int8ArenaBytes, bool SameTop1);

    private sealed record Pair(string Name, int InputLength, int OutputLength, int FloatScratch, int Int8Scratch,
        RunScratch Float, RunInt8 Int8);

    public delegate void RunInt8(ReadOnlySpan<float> input, Span<float> output, Span<byte> scratch);

    private static Pair Get(string name) => name switch
    {
        "M0" => new(name, MicroNetM0.InputLength, MicroNetM0.OutputLength, MicroNetM0.ScratchLength, MicroNetM0Int8.ScratchLength, MicroNetM0.Run, MicroNetM0Int8.Run),
        "M1" => new(name, MicroNetM1.InputLength, MicroNetM1.OutputLength, MicroNetM1.ScratchLength, MicroNetM1Int8.ScratchLength, MicroNetM1.Run, MicroNetM1Int8.Run),
        "M2" => new(name, MicroNetM2.InputLength, MicroNetM2.OutputLength, MicroNetM2.ScratchLength, MicroNetM2Int8.ScratchLength, MicroNetM2.Run, MicroNetM2Int8.Run),
        "M3" => new(name, MicroNetM3.InputLength, MicroNetM3.OutputLength, MicroNetM3.ScratchLength, MicroNetM3Int8.ScratchLength, MicroNetM3.Run, MicroNetM3Int8.Run),
        _ => throw new ArgumentException("unknown model " + name + " (M0..M3)"),
    };

    public static List<Result> Run(IEnumerable<string> models, int passes = 3, int rounds = 31)
    {
        var results = new List<Result>();
        foreach (var name in models)
        {
            var m = Get(name);
            var input = BenchData.Input();
            var floatOut = new float[m.OutputLength];
            var int8Out = new float[m.OutputLength];
            var floatScratch = new float[m.FloatScratch];
            var int8Scratch = new byte[m.Int8Scratch];
            void RunFloat() => m.Float(input, floatOut, floatScratch);
            void RunInt8() => m.Int8(input, int8Out, int8Scratch);
            RunFloat();
            BenchData.CheckAgainstReference("MicroNet.Aot float32", name, floatOut);
            RunInt8();
            bool sameTop1 = BenchData.ArgMax(floatOut) == BenchData.ArgMax(int8Out);
            int floatRuns = Calibrate(RunFloat), int8Runs = Calibrate(RunInt8);
            var perPass = new List<(double F, double I, double S)>();
            for (int p = 0; p < passes; p++)
            {
                var f = new double[rounds];
                var q = new double[rounds];
                var s = new double[rounds];
                for (int r = 0; r < rounds; r++)
                {
                    f[r] = Time(RunFloat, floatRuns);
                    q[r] = Time(RunInt8, int8Runs);
                    s[r] = f[r] / q[r];
                }
                perPass.Add((Median(f), Median(q), Median(s)));
            }
            var ordered = perPass.OrderBy(x => x.S).ToList();
            var mid = ordered[ordered.Count / 2];
            var result = new Result(name, mid.F, mid.I, mid.S, rounds, ordered[0].S, ordered[^1].S, m.FloatScratch * sizeof(float), m.Int8Scratch, sameTop1);
            results.Add(result);
            Console.WriteLine($"int8 {name}: float32 {result.FloatMedianMs:F4} ms, int8 {result.Int8MedianMs:F4} ms, int8 speed-up {result.Int8SpeedupMedian:F2}x " +
                $"(passes {result.SpeedupLowest:F2}-{result.SpeedupHighest:F2}x; median of {rounds} paired rounds), same top-1 on the input: {sameTop1}");
        }
        return results;
    }

    public static void Save(string path, List<Result> results) =>
        File.WriteAllText(path, JsonSerializer.Serialize(results, Int8Json.Default.ListResult));

    /// <summary>The Markdown table of docs/benchmarks/int8.md.</summary>
    public static string Table(List<Result> results)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| model | float32 | int8 | int8 speed-up (range of 3 passes) | float32 arena | int8 arena | same top-1 |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---|");
        foreach (var r in results)
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Model} | {r.FloatMedianMs:F3} ms | {r.Int8MedianMs:F3} ms | {r.Int8SpeedupMedian:F2}x ({r.SpeedupLowest:F2}-{r.SpeedupHighest:F2}) | {r.FloatArenaBytes:N0} B | {r.Int8ArenaBytes:N0} B | {(r.SameTop1 ? "yes" : "no")} |"));
        return sb.ToString();
    }

    private static int Calibrate(Action run)
    {
        var clock = Stopwatch.StartNew();
        int calls = 0;
        while (clock.ElapsedMilliseconds < 500) { run(); calls++; }
        return Math.Max(1, calls / 10);
    }

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

[System.Text.Json.Serialization.JsonSerializable(typeof(List<Int8Bench.Result>))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class Int8Json : System.Text.Json.Serialization.JsonSerializerContext { }
