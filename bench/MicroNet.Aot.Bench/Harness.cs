using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Text.Json;

namespace MicroNet.Aot.Bench;

/// <summary>
/// The timing harness for builds BenchmarkDotNet cannot host (NativeAOT) and its JIT twin, so the
/// two are compared by the same method: per model, 1 s of warm-up, then 21 rounds of about
/// 100 ms each; the per-inference time of a round is its duration divided by its runs; the
/// median round is reported (and the fastest). Allocations are counted over all rounds.
/// </summary>
public static class Harness
{
    public sealed record Result(string Model, string Mode, double MedianMs, double MinMs, long Runs, long AllocatedBytes, bool Vector256Accelerated);

    public static List<Result> Run(IEnumerable<string> models, string mode)
    {
        var results = new List<Result>();
        var input = BenchData.Input();
        foreach (var name in models)
        {
            var model = GeneratedModel.Get(name);
            var output = new float[model.OutputLength];
            var scratch = new float[model.ScratchLength];
            model.Run(input, output, scratch);
            BenchData.CheckAgainstReference("generated (" + mode + ")", name, output);

            var clock = Stopwatch.StartNew();
            long calls = 0;
            while (clock.ElapsedMilliseconds < 1000) { model.Run(input, output, scratch); calls++; }
            int perRound = (int)Math.Max(1, calls / 10); // ~100 ms per round
            var rounds = new double[21];
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            for (int r = 0; r < rounds.Length; r++)
            {
                long start = Stopwatch.GetTimestamp();
                for (int i = 0; i < perRound; i++) model.Run(input, output, scratch);
                rounds[r] = Stopwatch.GetElapsedTime(start).TotalMilliseconds / perRound;
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            Array.Sort(rounds);
            results.Add(new Result(name, mode, rounds[rounds.Length / 2], rounds[0], (long)perRound * rounds.Length, allocated, Vector256.IsHardwareAccelerated));
            Console.WriteLine($"{mode,-4} {name}: median {rounds[rounds.Length / 2]:F4} ms, min {rounds[0]:F4} ms, {allocated} bytes allocated over {perRound * rounds.Length} runs");
        }
        return results;
    }

    public static void Save(string path, List<Result> results) =>
        File.WriteAllText(path, JsonSerializer.Serialize(results, BenchJson.Default.ListResult));
}

/// <summary>
/// `profile MODEL`: the per-layer table of a MicroNetProfile=true build. Five rounds of 200 runs
/// after a warm-up; the round with the lowest total is reported (the machine is shared: a slow
/// spell would otherwise land on whichever layers ran during it).
/// </summary>
public static class Profiler
{
    public static string Run(string name, int rounds = 5, int runs = 200)
    {
        var model = GeneratedModel.Get(name);
        if (model.Profile == null || model.ResetProfile == null)
            throw new InvalidOperationException("this build has no per-layer timing: build with -p:MicroNetProfile=true");
        var input = BenchData.Input();
        var output = new float[model.OutputLength];
        var scratch = new float[model.ScratchLength];
        for (int i = 0; i < 300; i++) model.Run(input, output, scratch); // warm-up (tier-1 code)
        string best = "";
        double bestTotal = double.MaxValue;
        for (int r = 0; r < rounds; r++)
        {
            model.ResetProfile();
            for (int i = 0; i < runs; i++) model.Run(input, output, scratch);
            string table = model.Profile();
            double total = Total(table);
            if (total < bestTotal) { bestTotal = total; best = table; }
        }
        return best;
    }

    /// <summary>The us/run of the table's total row ("| | total | | 1234.56 | ...").</summary>
    private static double Total(string table)
    {
        foreach (var line in table.Split('\n'))
        {
            var cells = line.Split('|');
            if (cells.Length > 4 && cells[2].Trim() == "total")
                return double.Parse(cells[4].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }
        return double.MaxValue;
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(List<Harness.Result>))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class BenchJson : System.Text.Json.Serialization.JsonSerializerContext { }
