using System;
using System.Diagnostics;
using System.IO;
using MicroNet.Aot.Runtime;
using MicroNet.Samples;
using StbImageSharp;

// micronet-classify IMAGE [--runs N]
// Decodes an image (PNG, JPEG, BMP, ... via StbImageSharp, pure managed), applies the ImageNet
// evaluation preprocessing, runs the generated MicroNetM0 and prints the top-5 classes with
// their probabilities and the latency.

if (args.Length < 1 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine("usage: micronet-classify IMAGE [--runs N]");
    return args.Length < 1 ? 2 : 0;
}
string path = args[0];
int runs = args.Length >= 3 && args[1] == "--runs" && int.TryParse(args[2], out int r) && r > 0 ? r : 50;

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

var output = new float[MicroNetM0.OutputLength];
MicroNetM0.Run(input, output); // first call: opens and verifies the weights, allocates the arena
var clock = Stopwatch.StartNew();
for (int i = 0; i < runs; i++) MicroNetM0.Run(input, output);
double milliseconds = clock.Elapsed.TotalMilliseconds / runs;

var probabilities = new float[output.Length];
Classification.Softmax(output, probabilities);
Span<int> top = stackalloc int[5];
Classification.TopK(probabilities, top);

Console.WriteLine($"{Path.GetFileName(path)}: {image.Width}x{image.Height}, MicroNetM0 ({MicroNetM0.Macs:N0} MACs)");
for (int i = 0; i < top.Length; i++)
    Console.WriteLine($"  top-{i + 1}: class {top[i],4}  p = {probabilities[top[i]]:F6}");
Console.WriteLine($"latency: {milliseconds:F3} ms per image (mean of {runs} runs, one thread)");
return 0;
