using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using Xunit;

namespace MicroNet.Aot.Tests.Infrastructure;

/// <summary>Paths, processes and the skip-or-fail policy for external tools.</summary>
public static class TestEnv
{
    public static string BaseDir => AppContext.BaseDirectory;
    public static string Config(string file) => Path.Combine(BaseDir, "configs", file);
    public static string Preset(string name) => Path.Combine(BaseDir, "presets", name + ".json");
    public static string SchemaPath => Path.Combine(BaseDir, "micronet.schema.json");

    /// <summary>The repository (for tests that build its samples with the real toolchain).</summary>
    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(BaseDir);
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "MicroNet.Aot.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("repository root not found above " + BaseDir);
        }
    }

    public static string Repo(params string[] parts) => Path.Combine(new[] { RepoRoot }.Concat(parts).ToArray());

    /// <summary>The dotnet host running the tests.</summary>
    public static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    /// <summary>CI sets MICRONET_REQUIRE_ALL=1: a missing external tool is then a failure, not a skip.</summary>
    public static bool RequireAll => Environment.GetEnvironmentVariable("MICRONET_REQUIRE_ALL") == "1";

    /// <summary>Skips loudly (or fails under MICRONET_REQUIRE_ALL=1) when a tool is missing.</summary>
    public static void Require(bool available, string what, string howToGet)
    {
        if (available) return;
        string message = "SKIPPED: " + what + " is not available (" + howToGet + ")";
        if (RequireAll) Assert.Fail(message + "; MICRONET_REQUIRE_ALL=1 makes this a failure");
        Assert.Skip(message);
    }

    /// <summary>A fresh directory under the system temp directory, removed by the OS eventually.</summary>
    public static string NewTempDir(string tag)
    {
        string dir = Path.Combine(Path.GetTempPath(), "micronet-tests", tag + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => "exit " + ExitCode + "\n--- stdout\n" + Stdout + "\n--- stderr\n" + Stderr;
    }

    /// <param name="environment">Variables to set (a null value removes the variable) for the child process.</param>
    /// <param name="workingDirectory">The child's working directory (default: the test's).</param>
    public static ProcessResult Run(string file, IEnumerable<string> args, TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (workingDirectory != null) psi.WorkingDirectory = workingDirectory;
        if (environment != null)
            foreach (var (name, value) in environment)
                if (value == null) psi.Environment.Remove(name); else psi.Environment[name] = value;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + file);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout ?? TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException(file + " " + string.Join(" ", args) + " timed out");
        }
        return new ProcessResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs the micronet CLI (its built assembly, as `dotnet micronet.dll`).</summary>
    public static ProcessResult Cli(params string[] args)
    {
        string dll = Path.Combine(BaseDir, "micronet.dll");
        var all = new List<string> { "exec", dll };
        all.AddRange(args);
        return Run(Dotnet, all);
    }
}
