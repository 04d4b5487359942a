using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;

namespace MicroNet.Aot.Bench;

/// <summary>
/// `coldstart MODEL` (JIT: micronet-bench; NativeAOT: micronet-aot-runner coldstart MODEL): in a
/// fresh process, the first call (the weights opened and their XxHash64 checked, the arena
/// allocated, and under the JIT the first compilation of every method), the mean of calls 2-51,
/// and the steady state (the median of 201 calls after 2 s of runs). One JSON line; bench/coldstart.sh
/// starts a process per model and mode.
/// </summary>
public static class ColdStart
{
    public static string Measure(string name, string mode)
    {
        var input = BenchData.Input();
        var model = GeneratedModel.Get(name);
        var output = new float[model.OutputLength];
        long start = Stopwatch.GetTimestamp();
        model.RunThreadArena(input, output);
        double first = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        start = Stopwatch.GetTimestamp();
        for (int i = 0; i < 50; i++) model.RunThreadArena(input, output);
        double early = Stopwatch.GetElapsedTime(start).TotalMilliseconds / 50;
        BenchData.CheckAgainstReference("generated (" + mode + ")", name, output);
        var clock = Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < 2000) model.RunThreadArena(input, output);
        var times = new double[201];
        for (int i = 0; i < times.Length; i++)
        {
            start = Stopwatch.GetTimestamp();
            model.RunThreadArena(input, output);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(times);
        double steady = times[times.Length / 2];
        return string.Create(CultureInfo.InvariantCulture,
            $"{{\"model\": \"{name}\", \"mode\": \"{mode}\", \"first_ms\": {first:F3}, \"calls_2_51_ms\": {early:F4}, \"steady_ms\": {steady:F4}, \"calls_2_51_over_steady\": {early / steady:F2}}}");
    }
}
