using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using MicroNet.Aot.Runtime;
using MicroNet.Samples.Runner;

// model-runner MODEL [--seed N] [--input FILE.f32] [--output FILE.f32] [--runs N]
// MODEL: m0 (MicroNetM0, 3x224x224), tiny (Tiny, 3x32x32), or their int8 forms m0-int8, tiny-int8,
// and fashion-int8 (FashionMicroNetInt8, 1x32x32). The input is deterministic (an LCG seeded with
// N), or read from FILE (float32, InputLength values), so two machines can compare their outputs.

if (args.Length < 1 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine("usage: model-runner m0|tiny|m0-int8|tiny-int8|fashion-int8 [--seed N] [--input FILE.f32] [--output FILE.f32] [--runs N]");
    return args.Length < 1 ? 2 : 0;
}
int seed = 1, runs = 10;
string? outputPath = null, inputPath = null;
for (int i = 1; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--seed": seed = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--runs": runs = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--output": outputPath = args[i + 1]; break;
        case "--input": inputPath = args[i + 1]; break;
        default: Console.Error.WriteLine("error: unknown option " + args[i]); return 2;
    }
}

Model model = args[0] switch
{
    "m0" => new Model("MicroNetM0", MicroNetM0.InputLength, MicroNetM0.OutputLength, MicroNetM0.ScratchLength, MicroNetM0.Run),
    "tiny" => new Model("Tiny", Tiny.InputLength, Tiny.OutputLength, Tiny.ScratchLength, Tiny.Run),
    // int8 classes take a byte arena: one, allocated here, passed on every call
    "m0-int8" => Int8Model("MicroNetM0Int8", MicroNetM0Int8.InputLength, MicroNetM0Int8.OutputLength, MicroNetM0Int8.ScratchLength, MicroNetM0Int8.Run),
    "tiny-int8" => Int8Model("TinyInt8", TinyInt8.InputLength, TinyInt8.OutputLength, TinyInt8.ScratchLength, TinyInt8.Run),
    "fashion-int8" => Int8Model("FashionMicroNetInt8", FashionMicroNetInt8.InputLength, FashionMicroNetInt8.OutputLength, FashionMicroNetInt8.ScratchLength, FashionMicroNetInt8.Run),
    _ => null!,
};
if (model == null) { Console.Error.WriteLine("error: unknown model " + args[0] + " (m0, tiny, m0-int8, tiny-int8 or fashion-int8)"); return 2; }

var input = new float[model.InputLength];
uint state = (uint)seed * 2654435761u + 12345u;
for (int i = 0; i < input.Length; i++)
{
    state = state * 1664525u + 1013904223u;
    input[i] = (state >> 8) / 16777216f * 4f - 2f; // uniform in [-2, 2)
}
if (inputPath != null)
{
    var bytes = File.ReadAllBytes(inputPath);
    if (bytes.Length != 4 * input.Length) { Console.Error.WriteLine($"error: {inputPath} has {bytes.Length} bytes; {model.Name} takes {input.Length} float32 values ({4 * input.Length} bytes)"); return 2; }
    MemoryMarshal.Cast<byte, float>(bytes).CopyTo(input);
}
var output = new float[model.OutputLength];
var scratch = new float[model.ScratchLength];
model.Run(input, output, scratch);
var clock = Stopwatch.StartNew();
for (int i = 0; i < runs; i++) model.Run(input, output, scratch);
double ms = clock.Elapsed.TotalMilliseconds / Math.Max(1, runs);

Span<int> top = stackalloc int[5];
Classification.TopK(output, top[..Math.Min(5, output.Length)]);
Console.WriteLine($"model={model.Name} arch={RuntimeInformation.ProcessArchitecture} " +
    $"Vector128.IsHardwareAccelerated={Vector128.IsHardwareAccelerated} Vector256.IsHardwareAccelerated={Vector256.IsHardwareAccelerated}");
Console.WriteLine("top5=" + string.Join(",", top[..Math.Min(5, output.Length)].ToArray()));
Console.WriteLine($"latency_ms={ms.ToString("F3", CultureInfo.InvariantCulture)} arena_bytes={model.ArenaBytes} peak_rss_kb={PeakRssKb()}");
if (outputPath != null) File.WriteAllBytes(outputPath, MemoryMarshal.AsBytes(output.AsSpan()).ToArray());
return 0;

static long PeakRssKb()
{
    try
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.Substring(6).Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }
    catch (IOException) { }
    return -1;
}

static Model Int8Model(string name, int inputLength, int outputLength, int arenaBytes, RunInt8 run)
{
    var arena = new byte[arenaBytes];
    return new Model(name, inputLength, outputLength, 0, (i, o, _) => run(i, o, arena), arenaBytes);
}

internal delegate void RunWithScratch(ReadOnlySpan<float> input, Span<float> output, Span<float> scratch);
internal delegate void RunInt8(ReadOnlySpan<float> input, Span<float> output, Span<byte> scratch);
internal sealed record Model(string Name, int InputLength, int OutputLength, int ScratchLength, RunWithScratch Run, long ArenaBytes = -1)
{
    /// <summary>The arena's bytes: float32 (4 per scratch float) or int8 (one per byte).</summary>
    public long ArenaBytes { get; } = ArenaBytes >= 0 ? ArenaBytes : 4L * ScratchLength;
}
