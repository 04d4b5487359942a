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
}
