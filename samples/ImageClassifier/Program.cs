using System;
using System.Diagnostics;
using System.IO;
using MicroNet.Aot.Runtime;
using MicroNet.Samples;
using StbImageSharp;

// micronet-classify IMAGE [--runs N]
// Decodes an image (PNG, JPEG, BMP, ... via StbImageSharp, pure managed), applies the ImageNet
// evaluation preprocessing, runs the generated MicroNetM0 and prints the top-5 classes with
// their probabilities and the warm latency.

if (args.Length < 1 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine("usage: micronet-classify IMAGE [--runs N]");
    return args.Length < 1 ? 2 : 0;
}
string path = args[0];
int runs = args.Length >= 3 && args[1] == "--runs" && int.TryParse(args[2], out int r) && r > 0 ? r : 200;

ImageResult image;
try
{
    using var stream = File.OpenRead(path);
    image = ImageResult.FromStream(stream, ColorComponents.RedGreenBlue);
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
{
    Console.Error.WriteLine($"error: {path}: cannot read the image ({e.Message})");
    return 1;
}

var input = new float[MicroNetM0.InputLength];
Preprocessing.ImageNet(image.Data, image.Width, image.Height, 3, MicroNetM0.InputHeight, MicroNetM0.InputWidth,
    MicroNetM0.InputMean, MicroNetM0.InputStd, input);

// Warm-up, untimed: the first call opens and verifies the weights and allocates the per-thread
// arena; under the JIT the hot methods start at tier 0 and are recompiled optimized after about 30
// calls and a pause in new compilations, so run for half a second first. Then the median of the
// timed runs: the steady-state latency (NativeAOT has no warm-up; it does no harm there).
var output = new float[MicroNetM0.OutputLength];
var warmup = Stopwatch.StartNew();
for (int i = 0; i < 30 || warmup.ElapsedMilliseconds < 500; i++) MicroNetM0.Run(input, output);
var times = new double[runs];
for (int i = 0; i < runs; i++)
{
    long start = Stopwatch.GetTimestamp();
    MicroNetM0.Run(input, output);
    times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
}
Array.Sort(times);
double median = runs % 2 == 1 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2;

// the same image on all cores: Run on an InferencePool (the layers the generator's cost model
// found worth splitting run on every thread; the outputs equal the one-thread Run's bit for bit)
int threads = Environment.ProcessorCount;
double poolMedian;
bool identical;
using (var pool = new InferencePool(threads))
{
    var pooled = new float[MicroNetM0.OutputLength];
    warmup.Restart();
    for (int i = 0; i < 30 || warmup.ElapsedMilliseconds < 500; i++) MicroNetM0.Run(input, pooled, pool);
    for (int i = 0; i < runs; i++)
    {
        long start = Stopwatch.GetTimestamp();
        MicroNetM0.Run(input, pooled, pool);
        times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }
    Array.Sort(times);
    poolMedian = runs % 2 == 1 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2;
    identical = pooled.AsSpan().SequenceEqual(output);
}

// the five most probable classes: index, label (this model file has none: null) and probability
var top = new Prediction[5];
int shown = MicroNetM0.TopK(input, top);

Console.WriteLine($"{Path.GetFileName(path)}: {image.Width}x{image.Height}, MicroNetM0 ({MicroNetM0.Macs:N0} MACs)");
for (int i = 0; i < shown; i++)
    Console.WriteLine($"  top-{i + 1}: class {top[i].Index,4}  p = {top[i].Probability:F6}{(top[i].Label is string label ? "  " + label : "")}");
Console.WriteLine($"latency: {median:F3} ms per image (median of {runs} warm runs, one thread)");
Console.WriteLine($"latency on {threads} threads: {poolMedian:F3} ms per image (Run on an InferencePool of {threads}; outputs {(identical ? "bit-identical to" : "DIFFERENT from")} one thread's)");
if (!identical) return 3;
return 0;
