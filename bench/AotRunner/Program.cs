using System;
using System.Linq;
using MicroNet.Aot.Bench;

// micronet-aot-runner OUT.json [M0,M1,...]: the harness (Harness.cs) in a NativeAOT binary.
// micronet-aot-runner profile MODEL: the per-layer table of a MicroNetProfile=true publish.
// micronet-aot-runner coldstart MODEL: first call, calls 2-51 and steady state (ColdStart.cs).
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: micronet-aot-runner OUT.json [M0,M1,M2,M3] | profile MODEL");
    return 2;
}
if (args[0] == "coldstart" && args.Length > 1)
{
    Console.WriteLine(ColdStart.Measure(args[1], "aot"));
    return 0;
}
if (args[0] == "profile" && args.Length > 1)
{
    Console.Write(Profiler.Run(args[1]));
    return 0;
}
var models = args.Length > 1 ? args[1].Split(',') : GeneratedModel.Names;
Harness.Save(args[0], Harness.Run(models, "aot"));
return 0;
