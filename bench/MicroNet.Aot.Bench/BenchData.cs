using System;
using System.IO;
using System.Runtime.InteropServices;

namespace MicroNet.Aot.Bench;

/// <summary>
/// The files bench/run.sh prepares in bench/models (MICRONET_BENCH_DIR): the seeded input image
/// (input.f32, 3x224x224), each model's ONNX export (MN.onnx) and the PyTorch reference's output on
/// the input (MN.reference.f32), all from the same seeded checkpoints as the generated models.
/// </summary>
public static class BenchData
{
    public static string Dir =>
        Environment.GetEnvironmentVariable("MICRONET_BENCH_DIR") is { Length: > 0 } dir ? dir
        : Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "models"));

    public static float[] Floats(string file)
    {
        string path = Path.Combine(Dir, file);
        if (!File.Exists(path)) throw new FileNotFoundException("benchmark data missing (run bench/run.sh, which prepares it): " + path, path);
        return MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(path)).ToArray();
    }

    public static float[] Input() => Floats("input.f32");
    public static float[] Reference(string model) => Floats(model + ".reference.f32");
    public static string Onnx(string model) => Path.Combine(Dir, model + ".onnx");

    /// <summary>Throws unless every value is within 1e-4 * max(1, |reference|) and the argmax agrees.</summary>
    public static void CheckAgainstReference(string engine, string model, ReadOnlySpan<float> actual)
    {
        var expected = Reference(model);
        if (actual.Length != expected.Length) throw new InvalidOperationException($"{engine} {model}: {actual.Length} outputs, reference has {expected.Length}");
        int worst = 0;
        double worstError = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]) / Math.Max(1.0, Math.Abs(expected[i]));
            if (error > worstError) { worstError = error; worst = i; }
        }
        if (worstError > 1e-4 || ArgMax(actual) != ArgMax(expected))
            throw new InvalidOperationException($"{engine} {model} disagrees with the PyTorch reference: output {worst} is {actual[worst]}, reference {expected[worst]} (relative error {worstError:E2})");
    }

    public static int ArgMax(ReadOnlySpan<float> v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
