using System;
using System.IO;
using System.Linq;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using MicroNet.Aot.Bench;

// micronet-bench bdn [BenchmarkDotNet args]         generated vs ONNX Runtime (JIT)
// micronet-bench harness MODE OUT.json [MODELS]     the documented harness (MODE: jit or aot)
// micronet-bench interleaved OUT.json [MODELS]      ONNX Runtime and generated in alternating rounds, one process
// micronet-bench threads OUT.json [MODELS]         1, 2, 4 threads and batches of 16 in paired rounds (InferencePool)
// micronet-bench int8 OUT.json [OUT.md]            int8 against float32 (both generated) in paired rounds
// micronet-bench handoff                           the cost of handing a buffer between two cores (the parallel cost model's input)
// micronet-bench coldstart MODEL                    first call, calls 2-51, steady state of a fresh process (one JSON line)
// micronet-bench profile MODEL [OUT.md]             per-layer table (a MicroNetProfile=true build)
// micronet-bench fma-peak OUT.json                  this core's measured FP32 FMA throughput (the peak for "of FMA peak")
// micronet-bench report RESULTS_DIR OUT_DIR         Markdown table + SVG chart from the results
switch (args.FirstOrDefault())
{
    case "bdn":
        {
            var config = DefaultConfig.Instance
                .AddJob(Job.Default.WithWarmupCount(5).WithIterationCount(15).WithId("net10"))
                .AddExporter(JsonExporter.Full)
                .WithOptions(ConfigOptions.DisableOptimizationsValidator)
                .WithArtifactsPath(Path.Combine(BenchData.Dir, "..", "results", "bdn"));
            BenchmarkRunner.Run<InferenceBenchmarks>(config, args.Skip(1).ToArray());
            return 0;
        }
    case "harness" when args.Length >= 3:
        {
            var models = args.Length > 3 ? args[3].Split(',') : GeneratedModel.Names;
            Harness.Save(args[2], Harness.Run(models, args[1]));
            return 0;
        }
    case "interleaved" when args.Length >= 2:
        {
            var models = args.Length > 2 ? args[2].Split(',') : GeneratedModel.Names;
            Interleaved.Save(args[1], Interleaved.Run(models));
            return 0;
        }
    case "threads" when args.Length >= 2:
        {
            var models = args.Length > 2 ? args[2].Split(',') : GeneratedModel.Names;
            Threads.Save(args[1], Threads.Run(models));
            return 0;
        }
    case "int8" when args.Length >= 2:
        {
            var results = Int8Bench.Run(GeneratedModel.Names);
            Int8Bench.Save(args[1], results);
            Console.Write(Int8Bench.Table(results));
            if (args.Length >= 3) File.WriteAllText(args[2], Int8Bench.Table(results));
            return 0;
        }
    case "handoff":
        Handoff.Run();
        return 0;
    case "coldstart" when args.Length >= 2:
        Console.WriteLine(ColdStart.Measure(args[1], "jit"));
        return 0;
    case "profile" when args.Length >= 2:
        {
            string table = Profiler.Run(args[1]);
            Console.Write(table);
            if (args.Length >= 3) File.WriteAllText(args[2], table);
            return 0;
        }
    case "fma-peak" when args.Length >= 2:
        {
            var peak = FmaPeak.Measure();
            FmaPeak.Save(args[1], peak);
            Console.WriteLine(FormattableString.Invariant($"FMA peak: {peak.GfmaPerSecond:F1} GFMA/s (16 per cycle x {peak.EffectiveGhz:F2} GHz effective; nominal {peak.NominalGhz:F2} GHz)"));
            return 0;
        }
    case "report" when args.Length >= 3:
        Report.Write(args[1], args[2]);
        return 0;
    default:
        Console.Error.WriteLine("usage: micronet-bench bdn | harness jit|aot OUT.json [M0,M1,..] | interleaved OUT.json [M0,M1,..] | threads OUT.json [M0,..] | handoff | coldstart MODEL | profile MODEL [OUT.md] | fma-peak OUT.json | report RESULTS_DIR OUT_DIR");
        return 2;
}
