using System;
using System.IO;
using System.Linq;
using MicroNet.Aot.Model;
using MicroNet.Aot.Model.Lowering;
using Xunit;

namespace MicroNet.Aot.Tests.Infrastructure;

/// <summary>
/// Model file pairs made without PyTorch: an architecture (a preset or a test table, with size
/// overrides) and seeded random weights written by the importer's own ModelWriter. For tests of the
/// generator's structure (plans, golden files), where the weights' values do not matter.
/// </summary>
public static class SyntheticModels
{
    /// <summary>Writes NAME.micronet.json and NAME.weights.bin into a fresh folder; returns the JSON's path.</summary>
    public static string Write(string archFile, string name, int? size = null, int? classes = null, int seed = 1)
    {
        var spec = ModelSpecReader.Read(File.ReadAllText(archFile), false, out var issues);
        Assert.True(spec != null, string.Join("\n", issues));
        if (size is int s) { spec!.InputHeight = s; spec.InputWidth = s; }
        if (classes is int c) spec!.Classes = c;
        spec!.Name = name;
        var network = NetworkBuilder.Build(spec, out var archIssues);
        Assert.True(network != null, string.Join("\n", archIssues));
        var random = new Random(seed);
        var values = network!.StoredTensors.Select(t =>
        {
            var v = new float[t.Elements];
            for (int i = 0; i < v.Length; i++) v[i] = (float)(random.NextDouble() - 0.5);
            return v;
        }).ToList();
        string dir = TestEnv.NewTempDir("synthetic-" + name);
        return MicroNet.Aot.Cli.Import.ModelWriter.Write(spec, network, values, dir).JsonPath;
    }
}
