using System;
using System.Linq;
using MicroNet.Aot.Bench;

// micronet-aot-runner OUT.json [M0,M1,...]: the harness (Harness.cs) in a NativeAOT binary.
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: micronet-aot-runner OUT.json [M0,M1,M2,M3]");
    return 2;
}
var models = args.Length > 1 ? args[1].Split(',') : GeneratedModel.Names;
Harness.Save(args[0], Harness.Run(models, "aot"));
return 0;
