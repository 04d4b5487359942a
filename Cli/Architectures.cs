using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MicroNet.Aot.Model;
using MicroNet.Aot.Model.Lowering;

namespace MicroNet.Aot.Cli;

/// <summary>Loads architectures and model files (presets shipped in the tool, or JSON files) and checks them.</summary>
public static class Architectures
{
    public static readonly string[] PresetNames = { "m0", "m1", "m2", "m3" };

    public static string PresetText(string preset)
    {
        string key = preset.ToLowerInvariant();
        if (!PresetNames.Contains(key))
            throw new CliError("unknown preset '" + preset + "': choose one of " + string.Join(", ", PresetNames));
        using var s = typeof(Architectures).Assembly.GetManifestResourceStream("preset." + key + ".json")
            ?? throw new InvalidOperationException("preset resource missing: " + key);
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }

    /// <summary>Reads and checks a model or architecture file; throws a CliError listing every issue.</summary>
    public static ModelSpec Read(string text, string displayName, bool requireWeights)
    {
        var spec = ModelSpecReader.Read(text, requireWeights, out var issues);
        if (spec == null) throw Issues(displayName, issues);
        return spec;
    }

    public static ModelSpec ReadFile(string path, bool requireWeights)
    {
        if (!File.Exists(path)) throw new CliError(path + ": no such file");
        return Read(File.ReadAllText(path), path, requireWeights);
    }

    public static Network Lower(ModelSpec spec, string displayName)
    {
        var network = NetworkBuilder.Build(spec, out var issues);
        if (network == null) throw Issues(displayName, issues);
        return network;
    }

    public static CliError Issues(string displayName, IEnumerable<ModelIssue> issues)
    {
        var list = issues.ToList();
        return new(displayName + ": " + list.Count + (list.Count == 1 ? " problem" : " problems") + ":" + Environment.NewLine +
            string.Join(Environment.NewLine, list.Select(i => "  " + i.Format(displayName))));
    }
}
