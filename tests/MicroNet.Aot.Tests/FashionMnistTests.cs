using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using MicroNet.Aot.Tests.Infrastructure;
using Xunit;

namespace MicroNet.Aot.Tests;

/// <summary>
/// The trained Fashion-MNIST model, end to end: the sample app's predictions on the bundled subset
/// equal the PyTorch reference's image by image, and its accuracy equals the recorded figure.
/// </summary>
public class FashionMnistTests
{
    [Fact]
    public void Generated_predictions_equal_the_reference_on_the_bundled_subset()
    {
        string dir = TestEnv.NewTempDir("fashion");
        string predictionsPath = Path.Combine(dir, "predictions.txt");
        var run = TestEnv.Run(TestEnv.Dotnet, new[] { "run", "--project", TestEnv.Repo("samples", "FashionMnist"), "-c", "Release", "--",
            "--predictions", predictionsPath, "--errors", Path.Combine(dir, "errors.svg") }, TimeSpan.FromMinutes(5));
        Assert.True(run.ExitCode == 0, run.ToString());
        int[] predicted = File.ReadAllLines(predictionsPath).Select(int.Parse).ToArray();
        Assert.Equal(1000, predicted.Length);

        // accuracy printed by the app = the figure recorded when the model was trained
        using var record = JsonDocument.Parse(File.ReadAllText(TestEnv.Repo("Models", "fashion-mnist", "training.json")));
        double recorded = record.RootElement.GetProperty("subset_accuracy").GetDouble();
        var m = Regex.Match(run.Stdout, @"accuracy: (\d+)/1000");
        Assert.True(m.Success, run.Stdout);
        Assert.Equal(recorded, int.Parse(m.Groups[1].Value) / 1000.0, 6);
        var svg = System.Xml.Linq.XDocument.Load(Path.Combine(dir, "errors.svg")); // well-formed
        int shown = svg.Root!.Elements().Count(e => e.Name.LocalName == "g");
        Assert.Equal(Math.Min(48, predicted.Length - int.Parse(Regex.Match(run.Stdout, @"accuracy: (\d+)/").Groups[1].Value)), shown);
        Assert.Contains("allocations per image: 0.0 bytes", run.Stdout);

        // image by image against the reference (a difference is allowed only where the reference's
        // top two logits are within 1e-4 of each other)
        string logitsPath = Path.Combine(dir, "reference.f32");
        Reference.Run("classify-idx", "--arch", TestEnv.Repo("Models", "fashion-mnist", "arch.json"),
            "--checkpoint", TestEnv.Repo("Models", "fashion-mnist", "fashion_micronet.pth"),
            "--images", TestEnv.Repo("Models", "fashion-mnist", "t10k-subset-images-idx3-ubyte.gz"), "--out", logitsPath);
        float[] logits = ModelFixtures.ReadFloats(logitsPath);
        Assert.Equal(10000, logits.Length);
        for (int n = 0; n < 1000; n++)
        {
            var row = logits.AsSpan(n * 10, 10).ToArray();
            int best = ParityTests.ArgMax(row);
            if (predicted[n] == best) continue;
            var sorted = row.OrderByDescending(v => v).ToArray();
            Assert.True(sorted[0] - sorted[1] <= 1e-4, $"image {n}: generated class {predicted[n]}, reference {best} (logits {string.Join(", ", row)})");
        }
    }
    /// <summary>
    /// ./run.sh --int8: the sample runs the shipped int8 model (Models/FashionMicroNetInt8), its
    /// predictions equal the integer reference's on every image of the bundled subset (bit-exact
    /// outputs give equal argmaxes, ties included), its accuracy stays within 1.5 points of the
    /// float model's and it allocates nothing per image.
    /// </summary>
    [Fact]
    public void The_int8_sample_predicts_what_the_integer_reference_predicts()
    {
        string python = Reference.RequirePython();
        string dir = TestEnv.NewTempDir("fashion-int8");
        string predictionsPath = Path.Combine(dir, "predictions.txt");
        var run = TestEnv.Run(TestEnv.Dotnet, new[] { "run", "--project", TestEnv.Repo("samples", "FashionMnist"), "-c", "Release", "--",
            "--int8", "--predictions", predictionsPath, "--errors", Path.Combine(dir, "errors.svg") }, TimeSpan.FromMinutes(5));
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("FashionMicroNetInt8 (", run.Stdout);
        Assert.Contains("allocations per image: 0.0 bytes", run.Stdout);
        int[] predicted = File.ReadAllLines(predictionsPath).Select(int.Parse).ToArray();
        Assert.Equal(1000, predicted.Length);

        string inputs = QuantizeTests.WriteFloats(dir, "x.f32", QuantizeTests.FashionInputs(1000));
        string output = Path.Combine(dir, "reference.f32");
        var reference = TestEnv.Run(python, new[] { Path.Combine(TestEnv.BaseDir, "reference", "int8_reference.py"), "run",
            TestEnv.Repo("Models", "FashionMicroNetInt8.micronet.json"), "--inputs", inputs, "--out", output }, TimeSpan.FromMinutes(5));
        Assert.True(reference.ExitCode == 0, reference.ToString());
        float[] logits = ModelFixtures.ReadFloats(output);
        Assert.Equal(10_000, logits.Length);
        for (int n = 0; n < 1000; n++)
            Assert.True(predicted[n] == ParityTests.ArgMax(logits.AsSpan(n * 10, 10).ToArray()), $"image {n}: the sample predicts {predicted[n]}, the integer reference {ParityTests.ArgMax(logits.AsSpan(n * 10, 10).ToArray())}");

        var int8 = Regex.Match(run.Stdout, @"accuracy: (\d+)/1000");
        var fl = Regex.Match(run.Stdout, @"float32 model: ([\d.]+)%; equal predictions: (\d+)/1000");
        Assert.True(int8.Success && fl.Success, run.Stdout);
        Assert.InRange(int.Parse(int8.Groups[1].Value) / 10.0 - double.Parse(fl.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), -1.5, 1.5);
        Assert.True(int.Parse(fl.Groups[2].Value) >= 970, run.Stdout);
    }
}
