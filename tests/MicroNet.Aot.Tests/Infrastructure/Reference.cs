using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using Xunit;

namespace MicroNet.Aot.Tests.Infrastructure;

/// <summary>
/// The PyTorch reference (tools/reference/refcli.py) run under a Python that has torch: Debian's
/// python3-torch under /usr/bin/python3, or MICRONET_PYTHON. Checkpoints it makes are cached per
/// test run, keyed by their arguments.
/// </summary>
public static class Reference
{
    private static readonly Lazy<string?> PythonPath = new(FindPython, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly ConcurrentDictionary<string, Lazy<string>> Cache = new();
    private static readonly string CacheDir = TestEnv.NewTempDir("reference");

    public static string Script => Path.Combine(TestEnv.BaseDir, "reference", "refcli.py");

    private static string? FindPython()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("MICRONET_PYTHON") is { Length: > 0 } env) candidates.Add(env);
        candidates.Add("/usr/bin/python3");
        candidates.Add("python3");
        foreach (var c in candidates)
        {
            try
            {
                var r = TestEnv.Run(c, new[] { "-c", "import torch" }, TimeSpan.FromMinutes(1));
                if (r.ExitCode == 0) return c;
            }
            catch (System.ComponentModel.Win32Exception) { }
        }
        return null;
    }

    /// <summary>Skips (or fails under MICRONET_REQUIRE_ALL=1) when no Python with torch is found.</summary>
    public static string RequirePython()
    {
        TestEnv.Require(PythonPath.Value != null, "PyTorch (the reference model)",
            "install Debian's python3-torch, as .ci/run does, or point MICRONET_PYTHON at a python with torch");
        return PythonPath.Value!;
    }

    public static void Run(params string[] args)
    {
        string python = RequirePython();
        var all = new List<string> { Script };
        all.AddRange(args);
        var r = TestEnv.Run(python, all);
        Assert.True(r.ExitCode == 0, "reference " + string.Join(" ", args) + " failed:\n" + r);
    }

    /// <summary>A seeded checkpoint made by the reference for <paramref name="arch"/> (cached).</summary>
    public static string Checkpoint(string arch, int seed, params string[] extra)
    {
        string key = arch + "|" + seed + "|" + string.Join(" ", extra);
        return Cache.GetOrAdd(key, _ => new Lazy<string>(() =>
        {
            bool safetensors = Array.IndexOf(extra, "safetensors") >= 0;
            string path = Path.Combine(CacheDir, Guid.NewGuid().ToString("N")[..8] + (safetensors ? ".safetensors" : ".pth"));
            var args = new List<string> { "make-checkpoint", "--arch", arch, "--seed", seed.ToString(), "--out", path };
            args.AddRange(extra);
            Run(args.ToArray());
            return path;
        })).Value;
    }

    /// <summary>The reference's own BatchNorm folding of a checkpoint, as a safetensors file.</summary>
    public static string Fold(string arch, string checkpoint)
    {
        string path = checkpoint + ".folded.safetensors";
        return Cache.GetOrAdd("fold|" + arch + "|" + checkpoint, _ => new Lazy<string>(() =>
        {
            Run("fold", "--arch", arch, "--checkpoint", checkpoint, "--out", path);
            return path;
        })).Value;
    }
}
