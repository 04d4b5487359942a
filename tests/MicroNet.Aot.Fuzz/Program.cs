using System;
using System.IO;
using System.Linq;
using SharpFuzz;

namespace MicroNet.Aot.Fuzz;

/// <summary>
/// <c>MicroNet.Aot.Fuzz HARNESS</c>: under libFuzzer (started by driver/libfuzzer-sharpfuzz, see
/// fuzz.sh) runs the harness on every input libFuzzer sends.
/// <c>MicroNet.Aot.Fuzz HARNESS FILE|DIR...</c>: replays inputs (a crash file, a corpus) once each
/// and prints what escaped; exit code 1 when anything did.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length < 1 || !Harnesses.All.TryGetValue(args[0], out var harness))
        {
            Console.Error.WriteLine("usage: MicroNet.Aot.Fuzz HARNESS [FILE|DIR...]\nharnesses:");
            foreach (var (name, (what, _)) in Harnesses.All) Console.Error.WriteLine("  " + name.PadRight(14) + what);
            return 2;
        }
        try
        {
            if (Environment.GetEnvironmentVariable("__LIBFUZZER_SHM_ID") != null)
            {
                Fuzzer.LibFuzzer.Run(harness.Run);
                return 0;
            }
            return Replay(harness.Run, args.Skip(1).ToArray());
        }
        finally
        {
            Harnesses.DeleteInputFile();
        }
    }

    private static int Replay(ReadOnlySpanAction run, string[] paths)
    {
        var files = paths.SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p).OrderBy(f => f, StringComparer.Ordinal).ToArray() : new[] { p }).ToList();
        int failures = 0;
        foreach (var file in files)
        {
            try
            {
                run(File.ReadAllBytes(file));
            }
            catch (Exception e)
            {
                failures++;
                Console.Error.WriteLine(file + ": " + e);
            }
        }
        Console.WriteLine("replayed " + files.Count + " inputs, " + failures + " escaped");
        return failures == 0 ? 0 : 1;
    }
}
