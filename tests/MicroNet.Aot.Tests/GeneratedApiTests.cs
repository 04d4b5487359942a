using System;
using System.IO;
using System.Linq;
using System.Threading;
using MicroNet.Aot.Tests.Infrastructure;
using Xunit;

namespace MicroNet.Aot.Tests;

/// <summary>The generated API's contract: lengths, allocation, stacks, threads, weights checks.</summary>
public class GeneratedApiTests
{
    private static float[] Image(ModelFixtures.Prepared p, int length) => p.Inputs.AsSpan(0, length).ToArray();

    [Fact]
    public void Constants_describe_the_model()
    {
        var p = ModelFixtures.Get("m0");
        using var model = GeneratorHarness.Compile(ModelFixtures.Item(p));
        Assert.Equal(3, model.Constant<int>("InputChannels"));
        Assert.Equal(224, model.Constant<int>("InputHeight"));
        Assert.Equal(224, model.Constant<int>("InputWidth"));
        Assert.Equal(3 * 224 * 224, model.InputLength);
        Assert.Equal(1000, model.OutputLength);
        Assert.Equal(1_019_590L, model.Constant<long>("Parameters"));
        Assert.Equal(3_448_880L, model.Constant<long>("Macs"));
        Assert.InRange(model.ScratchLength, 1, 3 * 224 * 224 * 4);
    }

    [Fact]
    public void Wrong_lengths_throw_naming_the_expected_length()
    {
        var p = ModelFixtures.Get("custom-64");
        using var model = GeneratorHarness.Compile(ModelFixtures.Item(p));
        var e = Assert.Throws<ArgumentException>(() => model.Run(new float[model.InputLength - 1], new float[model.OutputLength]));
        Assert.Equal("input", e.ParamName);
        Assert.Contains("exactly " + model.InputLength + " floats", e.Message);
        e = Assert.Throws<ArgumentException>(() => model.Run(new float[model.InputLength], new float[model.OutputLength + 1]));
        Assert.Equal("output", e.ParamName);
        Assert.Contains("exactly " + model.OutputLength, e.Message);
        e = Assert.Throws<ArgumentException>(() => model.RunWithScratch(new float[model.InputLength], new float[model.OutputLength], new float[model.ScratchLength - 1]));
        Assert.Equal("scratch", e.ParamName);
        Assert.Contains("at least " + model.ScratchLength, e.Message);
    }

    [Fact]
    public void Both_overloads_allocate_nothing_after_the_first_call()
    {
        var p = ModelFixtures.Get("m0");
        using var model = GeneratorHarness.Compile(ModelFixtures.Item(p));
        var input = Image(p, model.InputLength);
        var output = new float[model.OutputLength];
        var scratch = new float[model.ScratchLength];
        for (int i = 0; i < 3; i++) { model.Run(input, output); model.RunWithScratch(input, output, scratch); } // first calls, tiering
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 50; i++) model.Run(input, output);
        long middle = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 50; i++) model.RunWithScratch(input, output, scratch);
        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, middle - before);
        Assert.Equal(0, after - middle);
    }

    [Fact]
    public void M3_at_224_runs_on_a_thread_with_a_1_MiB_stack()
    {
        var p = ModelFixtures.Get("m3");
        using var model = GeneratorHarness.Compile(ModelFixtures.Item(p));
        var input = Image(p, model.InputLength);
        var expected = p.ReferenceOutputs.AsSpan(0, model.OutputLength).ToArray();
        var output = new float[model.OutputLength];
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try { model.Run(input, output); } catch (Exception e) { failure = e; }
        }, maxStackSize: 1 << 20);
        thread.Start();
        thread.Join();
        Assert.Null(failure);
        Assert.Equal(ParityTests.ArgMax(expected), ParityTests.ArgMax(output));
    }

    [Fact]
    public void Eight_threads_at_once_give_identical_results()
    {
        var p = ModelFixtures.Get("m1");
        using var model = GeneratorHarness.Compile(ModelFixtures.Item(p));
        var input = Image(p, model.InputLength);
        var single = new float[model.OutputLength];
        model.Run(input, single);
        var results = new float[8][];
        var start = new Barrier(8);
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            var output = new float[model.OutputLength];
            start.SignalAndWait();
            for (int i = 0; i < 5; i++) model.Run(input, output);
            results[t] = output;
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        foreach (var r in results) Assert.Equal(single, r);
    }

    [Fact]
    public void A_blob_that_does_not_match_the_model_file_is_refused_on_first_use()
    {
        var p = ModelFixtures.Get("custom-64");
        var item = ModelFixtures.Item(p);
        byte[] blob = File.ReadAllBytes(Path.Combine(Path.GetDirectoryName(item.Path)!, item.WeightsFile!));

        var flipped = (byte[])blob.Clone();
        flipped[flipped.Length / 3] ^= 1;
        using (var model = GeneratorHarness.Compile(item, flipped))
        {
            var e = Assert.Throws<InvalidDataException>(() => model.Run(new float[model.InputLength], new float[model.OutputLength]));
            Assert.Contains("XxHash64", e.Message);
            Assert.Contains(item.ResourceName, e.Message);
        }
        using (var model = GeneratorHarness.Compile(item, blob.AsSpan(0, blob.Length - 4).ToArray()))
        {
            var e = Assert.Throws<InvalidDataException>(() => model.Run(new float[model.InputLength], new float[model.OutputLength]));
            Assert.Contains(blob.Length + "", e.Message);
        }
    }

    public delegate MicroNet.Aot.Runtime.Prediction ClassifyDelegate(ReadOnlySpan<float> input);
    public delegate int TopKDelegate(ReadOnlySpan<float> input, Span<MicroNet.Aot.Runtime.Prediction> top);

    private static string TinyPath => Path.Combine(TestEnv.BaseDir, "models", "Tiny.micronet.json");

    /// <summary>Tiny (4 classes) with the given labels, written beside a copy of its blob.</summary>
    private static GeneratorHarness.ModelItem TinyWithLabels(params string[] labels)
    {
        string dir = TestEnv.NewTempDir("labels");
        File.Copy(Path.Combine(TestEnv.BaseDir, "models", "Tiny.weights.bin"), Path.Combine(dir, "Tiny.weights.bin"));
        string text = File.ReadAllText(TinyPath);
        string withLabels = text.Replace("\"classes\": 4,", "\"classes\": 4,\n  \"labels\": " + System.Text.Json.JsonSerializer.Serialize(labels) + ",");
        Assert.NotEqual(text, withLabels);
        string path = Path.Combine(dir, "Tiny.micronet.json");
        File.WriteAllText(path, withLabels);
        return GeneratorHarness.ModelItem.FromFile(path);
    }

    [Fact]
    public void Classify_and_TopK_give_the_label_index_and_softmax_of_Run()
    {
        // labels a C# literal must escape: quotes, a backslash, non-ASCII, a character outside the BMP
        string[] labels = { "T-shirt/top", "say \"hi\"", @"back\slash", "Größe 🧥" };
        using var model = GeneratorHarness.Compile(TinyWithLabels(labels));
        Assert.NotNull(model.Type.GetProperty("Labels"));
        var classify = model.Type.GetMethod("Classify")!.CreateDelegate<ClassifyDelegate>();
        var topK = model.Type.GetMethod("TopK")!.CreateDelegate<TopKDelegate>();
        var generatedLabels = (string[])model.Type.GetField("s_labels", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.GetValue(null)!;
        Assert.Equal(labels, generatedLabels);

        var random = new Random(7);
        for (int image = 0; image < 5; image++)
        {
            var input = Enumerable.Range(0, model.InputLength).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
            var logits = new float[model.OutputLength];
            model.Run(input, logits);
            var probabilities = new float[logits.Length];
            MicroNet.Aot.Runtime.Classification.Softmax(logits, probabilities);
            int best = Array.IndexOf(logits, logits.Max());

            var p = classify(input);
            Assert.Equal(best, p.Index);
            Assert.Equal(labels[best], p.Label);
            Assert.Equal(probabilities[best], p.Probability); // the same float Softmax gives

            var top = new MicroNet.Aot.Runtime.Prediction[3];
            Assert.Equal(3, topK(input, top));
            var order = Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).ThenBy(i => i).ToArray();
            for (int j = 0; j < 3; j++)
            {
                Assert.Equal(order[j], top[j].Index);
                Assert.Equal(labels[order[j]], top[j].Label);
                Assert.Equal(probabilities[order[j]], top[j].Probability);
            }
            var all = new MicroNet.Aot.Runtime.Prediction[10];
            Assert.Equal(4, topK(input, all)); // k larger than the classes: all of them
            Assert.Equal(1.0, all.Take(4).Sum(q => (double)q.Probability), 5);
        }

        // no allocation after the first call
        var x = new float[model.InputLength];
        var k = new MicroNet.Aot.Runtime.Prediction[2];
        classify(x); topK(x, k);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++) { classify(x); topK(x, k); }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Throws<ArgumentException>(() => classify(new float[model.InputLength + 1]));
    }

    [Fact]
    public void Without_labels_Labels_is_empty_and_predictions_have_no_label()
    {
        using var model = GeneratorHarness.Compile(GeneratorHarness.ModelItem.FromFile(TinyPath));
        var generatedLabels = (string[])model.Type.GetField("s_labels", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.GetValue(null)!;
        Assert.Empty(generatedLabels);
        var p = model.Type.GetMethod("Classify")!.CreateDelegate<ClassifyDelegate>()(new float[model.InputLength]);
        Assert.Null(p.Label);
        Assert.InRange(p.Index, 0, 3);
        Assert.InRange(p.Probability, 0.25f, 1f); // the largest of four probabilities
    }

    /// <summary>
    /// IntelliSense is the user's manual: with documentation diagnosed (as GenerateDocumentationFile
    /// does), the generated class has no CS1591 (undocumented public member), CS1573 (parameter
    /// without a param tag) or unresolved cref. The control case shows the check can fail.
    /// </summary>
    [Fact]
    public void Every_public_generated_member_is_documented()
    {
        var item = TinyWithLabels("a", "b", "c", "d");
        var result = GeneratorHarness.Generate(item);
        string source = Assert.Single(result.GeneratedSources).SourceText.ToString();
        Assert.DoesNotContain("CS1591", source); // no pragma hiding it
        var ct = TestContext.Current.CancellationToken;
        var docs = GeneratorHarness.NewCompilation(source).GetDiagnostics(ct).Where(d => d.Id.StartsWith("CS15", StringComparison.Ordinal) || d.Id.StartsWith("CS17", StringComparison.Ordinal)).ToList();
        Assert.True(docs.Count == 0, string.Join("\n", docs));

        var control = GeneratorHarness.NewCompilation(source, "public static class Undocumented { public static void M(int a) { } }").GetDiagnostics(ct);
        Assert.Contains(control, d => d.Id == "CS1591");
    }
}
