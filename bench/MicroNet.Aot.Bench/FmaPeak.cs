using System;
using System.Diagnostics;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text.Json;

namespace MicroNet.Aot.Bench;

/// <summary>
/// The FP32 FMA peak of one core, measured rather than taken from /proc/cpuinfo: the "cpu MHz"
/// there is the nominal clock (2.60 GHz on the benchmark VM) while the core runs its boost clock
/// under load (about 3.6 GHz measured here), which would overstate the fraction of peak by ~40 %.
/// Twelve independent Vector256 FMA chains (more than the two FMA units x 4 cycles of latency
/// need to stay busy), the fastest of seven runs of about 100 ms.
/// </summary>
public static class FmaPeak
{
    public sealed record Result(double GfmaPerSecond, double EffectiveGhz, double NominalGhz);

    public static Result Measure()
    {
        if (!Fma.IsSupported) throw new PlatformNotSupportedException("the FMA peak measurement needs x86 FMA3");
        const long iterations = 4_000_000; // 12 chains x 8 lanes each: 384 M lane-FMAs, ~100 ms at 3.6 GHz
        Chains(10_000); // JIT and warm up
        double best = 0;
        for (int run = 0; run < 7; run++)
        {
            long start = Stopwatch.GetTimestamp();
            var sink = Chains(iterations);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (float.IsNaN(sink.GetElement(0))) throw new InvalidOperationException("unreachable: keeps the chains alive");
            best = Math.Max(best, iterations * 12.0 * 8 / seconds / 1e9);
        }
        return new Result(best, best / 16, NominalGhz());
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Vector256<float> Chains(long iterations)
    {
        var m = Vector256.Create(0.999999f);
        var a = Vector256.Create(1e-7f);
        Vector256<float> x0 = m, x1 = m, x2 = m, x3 = m, x4 = m, x5 = m, x6 = m, x7 = m, x8 = m, x9 = m, x10 = m, x11 = m;
        for (long i = 0; i < iterations; i++)
        {
            x0 = Fma.MultiplyAdd(x0, m, a); x1 = Fma.MultiplyAdd(x1, m, a); x2 = Fma.MultiplyAdd(x2, m, a);
            x3 = Fma.MultiplyAdd(x3, m, a); x4 = Fma.MultiplyAdd(x4, m, a); x5 = Fma.MultiplyAdd(x5, m, a);
            x6 = Fma.MultiplyAdd(x6, m, a); x7 = Fma.MultiplyAdd(x7, m, a); x8 = Fma.MultiplyAdd(x8, m, a);
            x9 = Fma.MultiplyAdd(x9, m, a); x10 = Fma.MultiplyAdd(x10, m, a); x11 = Fma.MultiplyAdd(x11, m, a);
        }
        return ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7)) + ((x8 + x9) + (x10 + x11));
    }

    /// <summary>The mean "cpu MHz" of /proc/cpuinfo in GHz (the nominal clock on a VM), NaN where unreadable.</summary>
    public static double NominalGhz()
    {
        try
        {
            double sum = 0; int count = 0;
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("cpu MHz", StringComparison.Ordinal))
                {
                    sum += double.Parse(line.Split(':')[1].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                    count++;
                }
            return count > 0 ? sum / count / 1000 : double.NaN;
        }
        catch (IOException) { return double.NaN; }
    }

    public static void Save(string path, Result result) =>
        File.WriteAllText(path, JsonSerializer.Serialize(result, FmaPeakJson.Default.Result));

    /// <summary>The saved measurement, or null when the run did not make one (the report then falls back to the nominal clock and says so).</summary>
    public static Result? Read(string path) =>
        File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllText(path), FmaPeakJson.Default.Result) : null;
}

[System.Text.Json.Serialization.JsonSerializable(typeof(FmaPeak.Result))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class FmaPeakJson : System.Text.Json.Serialization.JsonSerializerContext { }
