using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;

namespace MicroNet.Aot.Bench;

/// <summary>
/// Builds docs/benchmarks/README.md (table, machine, method) and chart.svg from one run's results:
/// BenchmarkDotNet's full JSON, the harness JSON files (JIT and NativeAOT) and PyTorch's timings.
/// </summary>
public static class Report
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private sealed record Row(string Model, long Macs, double Ort, double Jit, long JitAllocated, double? HarnessJit, double? Aot, long? AotAllocated, double? Torch,
        int Scratch, int LowerBound, int WithoutReuse);

    public static void Write(string resultsDir, string outDir)
    {
        Directory.CreateDirectory(outDir);
        var bdnFile = Directory.EnumerateFiles(Path.Combine(resultsDir, "bdn"), "*InferenceBenchmarks-report-full.json", SearchOption.AllDirectories).FirstOrDefault()
            ?? throw new FileNotFoundException("BenchmarkDotNet results missing under " + resultsDir);
        using var bdn = JsonDocument.Parse(File.ReadAllText(bdnFile));
        var host = bdn.RootElement.GetProperty("HostEnvironmentInfo");
        var timings = new Dictionary<(string Model, string Method), (double Ms, long Bytes)>();
        foreach (var b in bdn.RootElement.GetProperty("Benchmarks").EnumerateArray())
        {
            string model = b.GetProperty("Parameters").GetString()!.Replace("Model=", "");
            double ms = b.GetProperty("Statistics").GetProperty("Median").GetDouble() / 1e6;
            long bytes = b.TryGetProperty("Memory", out var mem) ? mem.GetProperty("BytesAllocatedPerOperation").GetInt64() : -1;
            timings[(model, b.GetProperty("Method").GetString()!)] = (ms, bytes);
        }
        var harnessJit = ReadHarness(resultsDir, "jit");
        var harnessAot = ReadHarness(resultsDir, "aot");
        var torch = new Dictionary<string, double>();
        string torchVersion = "not installed";
        string torchPath = Path.Combine(resultsDir, "pytorch.json");
        if (File.Exists(torchPath))
        {
            using var t = JsonDocument.Parse(File.ReadAllText(torchPath));
            torchVersion = t.RootElement.GetProperty("torch").GetString() ?? "?";
            foreach (var p in t.RootElement.GetProperty("models").EnumerateObject()) torch[p.Name] = p.Value.GetDouble();
        }

        var rows = GeneratedModel.Names.Select(m =>
        {
            var g = GeneratedModel.Get(m);
            var jit = timings[(m, "Generated")];
            return new Row(m, g.Macs, timings[(m, "OnnxRuntime")].Ms, jit.Ms, jit.Bytes,
                harnessJit.TryGetValue(m, out var hj) ? hj.MedianMs : null,
                harnessAot.TryGetValue(m, out var ha) ? ha.MedianMs : null, harnessAot.TryGetValue(m, out var hb) ? hb.AllocatedBytes : null,
                torch.TryGetValue(m, out var tt) ? tt : null, g.ScratchLength, g.ScratchLowerBound, g.ScratchWithoutReuse);
        }).ToList();

        // the peak: measured in the same run (bench/run.sh: fma-peak) where available; the nominal
        // clock of /proc/cpuinfo understates it on a boosting CPU, so it is only the fallback
        var measured = FmaPeak.Read(Path.Combine(resultsDir, "fma-peak.json"));
        double nominalGhz = FmaPeak.NominalGhz();
        if (double.IsNaN(nominalGhz)) nominalGhz = 2.45;
        double peak = measured?.GfmaPerSecond ?? 16 * nominalGhz; // GFMA/s, one core
        // the instruction set bench/run.sh published the NativeAOT runner for (x86-64-v4 where the CPU has AVX-512)
        string isaFile = Path.Combine(resultsDir, "aot-isa.txt");
        string aotIsa = File.Exists(isaFile) ? File.ReadAllText(isaFile).Trim() : "x86-64-v3";
        var md = new StringBuilder();
        md.AppendLine("# Benchmarks: MicroNet.Aot against ONNX Runtime and PyTorch");
        md.AppendLine();
        md.AppendLine("Batch 1, 3x224x224, one thread, float32, the same seeded weights and input for every engine (made by");
        md.AppendLine("`bench/run.sh`: PyTorch reference checkpoints -> `micronet import` and ONNX export). Before timing, each");
        md.AppendLine("engine's output is checked against the PyTorch reference (1e-4 relative).");
        md.AppendLine();
        md.AppendLine($"| model | MACs | ONNX Runtime | MicroNet.Aot (JIT) | speed-up | GMAC/s | of FMA peak | alloc/op | NativeAOT {aotIsa} | AOT / JIT | PyTorch eager |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            double gmacs = r.Macs / (r.Jit * 1e6);
            string aot = r.Aot is double a ? F(a, 3) + " ms" : "-";
            string ratio = r.Aot is double a2 && r.HarnessJit is double j2 ? F(a2 / j2, 2) : "-";
            md.AppendLine($"| {r.Model} | {r.Macs:N0} | {F(r.Ort, 3)} ms | {F(r.Jit, 3)} ms | **{F(r.Ort / r.Jit, 2)}x** | {F(gmacs, 2)} | {F(100 * gmacs / peak, 1)}% | {r.JitAllocated} B | {aot} | {ratio} | {(r.Torch is double t ? F(t, 2) + " ms" : "-")} |");
        }
        var interleaved = Interleaved.Read(Path.Combine(resultsDir, "interleaved.json"));
        if (interleaved.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("The same two engines in one process, in alternating rounds (a slow spell of the shared machine lands on both");
            md.AppendLine("sides of each ratio): `micronet-bench interleaved`, 31 paired rounds of ~50 ms per model, three passes; the");
            md.AppendLine("pass with the median speed-up, and the range of the passes' speed-ups.");
            md.AppendLine();
            md.AppendLine("| model | ONNX Runtime | MicroNet.Aot (JIT) | speed-up (median of the paired rounds) | range over the passes |");
            md.AppendLine("|---|---:|---:|---:|---:|");
            foreach (var m in GeneratedModel.Names)
                if (interleaved.TryGetValue(m, out var i))
                    md.AppendLine($"| {m} | {F(i.OrtMedianMs, 3)} ms | {F(i.GeneratedMedianMs, 3)} ms | **{F(i.SpeedupMedian, 2)}x** | {F(i.SpeedupLowest, 2)}x - {F(i.SpeedupHighest, 2)}x |");
        }
        md.AppendLine();
        md.AppendLine("| model | arena (ScratchLength) | liveness lower bound | without reuse |");
        md.AppendLine("|---|---:|---:|---:|");
        foreach (var r in rows)
            md.AppendLine($"| {r.Model} | {r.Scratch * 4L:N0} B | {r.LowerBound * 4L:N0} B | {r.WithoutReuse * 4L:N0} B |");
        md.AppendLine();
        md.AppendLine("![bar chart](chart.svg)");
        md.AppendLine();
        md.AppendLine("## Machine and method");
        md.AppendLine();
        md.AppendLine($"* CPU: {host.GetProperty("ProcessorName").GetString()}, {Environment.ProcessorCount} logical cores; nominal clock (/proc/cpuinfo): {F(nominalGhz, 2)} GHz.");
        if (measured != null)
            md.AppendLine($"  FMA peak used for the percentages: {F(peak, 1)} GFMA/s, measured in this run (`micronet-bench fma-peak`: 12 independent Vector256 FMA chains, one core, fastest of 7), i.e. 16 FP32 FMA per cycle at an effective {F(measured.EffectiveGhz, 2)} GHz (the boost clock; the nominal clock would give {F(16 * nominalGhz, 1)} GFMA/s and overstate the percentages).");
        else
            md.AppendLine($"  FMA peak used for the percentages: 16 FP32 FMA per cycle (AVX2, two FMA units) x {F(nominalGhz, 2)} GHz nominal = {F(peak, 1)} GFMA/s, one core (not measured in this run; a boosting CPU runs faster, so the percentages are upper bounds).");
        md.AppendLine($"* {host.GetProperty("OsVersion").GetString()}; {host.GetProperty("RuntimeVersion").GetString()}; BenchmarkDotNet {bdn.RootElement.GetProperty("HostEnvironmentInfo").GetProperty("BenchmarkDotNetVersion").GetString()}; ONNX Runtime {typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.GetName().Version}; PyTorch {torchVersion}.");
        md.AppendLine("* ONNX Runtime and MicroNet.Aot (JIT): BenchmarkDotNet, median of 15 iterations after 5 warm-ups, MemoryDiagnoser; ONNX Runtime with IntraOpNumThreads=1, sequential execution, ORT_ENABLE_ALL, input and output bound once (IoBinding).");
        md.AppendLine($"* NativeAOT: the same generated code in `bench/AotRunner`, published with `PublishAot=true`, `IlcInstructionSet={aotIsa}` (bench/run.sh picks x86-64-v4 on a CPU with AVX-512, x86-64-v3 otherwise: the instruction set the JIT uses on the same machine) and `OptimizationPreference=Speed`, timed by the harness in `bench/MicroNet.Aot.Bench/Harness.cs` (1 s warm-up, median of 21 rounds of ~100 ms); AOT / JIT compares it with the same harness run under the JIT: three passes of each, alternating JIT and AOT, the best pass's median per model.");
        md.AppendLine("* PyTorch eager: `tools/reference/refcli.py time` (torch.set_num_threads(1), no_grad, median of 20 rounds).");
        md.AppendLine("* Per-layer profile of M3: `profile-M3.md` (a `MicroNetProfile=true` build: a timestamp around every layer, JIT; the fastest of five rounds of 200 runs)" +
            (File.Exists(Path.Combine(outDir, "profile-M3-before.md")) ? "; `profile-M3-before.md` is the same profile before the depthwise, stem and ReLU6 work (after the 1x1 register blocking)." : "."));
        md.AppendLine();
        md.AppendLine("Reproduce: `bench/run.sh` (about 15 minutes).");
        File.WriteAllText(Path.Combine(outDir, "README.md"), md.ToString());
        File.WriteAllText(Path.Combine(outDir, "chart.svg"), Chart(rows));
        Console.Write(md.ToString());
    }

    /// <summary>
    /// The harness passes of one mode (harness-MODE-*.json): per model the pass with the lowest
    /// median. JIT and NativeAOT passes alternate, so a slow spell of the shared machine hits one
    /// pass of each rather than one whole mode.
    /// </summary>
    private static Dictionary<string, Harness.Result> ReadHarness(string dir, string mode) =>
        Directory.EnumerateFiles(dir, "harness-" + mode + "-*.json")
            .SelectMany(path => JsonSerializer.Deserialize(File.ReadAllText(path), BenchJson.Default.ListResult)!)
            .GroupBy(r => r.Model)
            .ToDictionary(g => g.Key, g => g.OrderBy(r => r.MedianMs).First());

    private static string F(double v, int digits) => v.ToString("F" + digits, Inv);

    /// <summary>Grouped horizontal bars, one group per model, milliseconds, each group on its own scale.</summary>
    private static string Chart(List<Row> rows)
    {
        var series = new (string Name, string Color, Func<Row, double?> Value)[]
        {
            ("ONNX Runtime", "#9e9e9e", r => r.Ort), ("MicroNet.Aot JIT", "#1565c0", r => r.Jit),
            ("MicroNet.Aot NativeAOT", "#2e7d32", r => r.Aot), ("PyTorch eager", "#ef6c00", r => r.Torch),
        };
        const int barHeight = 16, gap = 4, left = 190, width = 420;
        int groupHeight = series.Length * (barHeight + gap) + 26;
        int height = 40 + rows.Count * groupHeight + 30;
        var svg = new StringBuilder();
        svg.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{left + width + 120}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append("<text x=\"10\" y=\"22\" font-size=\"15\">Inference time, batch 1, 224x224, one thread (ms, shorter is better)</text>\n");
        for (int g = 0; g < rows.Count; g++)
        {
            var r = rows[g];
            int y0 = 40 + g * groupHeight;
            double max = series.Max(s => s.Value(r) ?? 0);
            svg.Append($"<text x=\"10\" y=\"{y0 + 14}\" font-weight=\"bold\">{r.Model} ({r.Macs / 1e6:F1} M MACs)</text>\n");
            for (int s = 0; s < series.Length; s++)
            {
                if (series[s].Value(r) is not double v) continue;
                int y = y0 + 20 + s * (barHeight + gap);
                double w = Math.Max(1, width * v / max);
                svg.Append($"<text x=\"{left - 8}\" y=\"{y + 12}\" text-anchor=\"end\">{series[s].Name}</text>");
                svg.Append($"<rect x=\"{left}\" y=\"{y}\" width=\"{F(w, 1)}\" height=\"{barHeight}\" fill=\"{series[s].Color}\"/>");
                svg.Append($"<text x=\"{F(left + w + 6, 1)}\" y=\"{y + 12}\">{F(v, 3)}</text>\n");
            }
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }
}
