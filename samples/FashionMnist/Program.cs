using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using MicroNet.Aot.Runtime;
using MicroNet.Samples.Fashion;

// fashion-mnist [IMAGES LABELS | --full] [--int8] [--errors FILE.svg] [--predictions FILE]
// Classifies Fashion-MNIST images with the generated FashionMicroNet (a MicroNet trained on
// Fashion-MNIST by tools/reference/train_fashion_mnist.py and imported with `micronet import`),
// or with --int8 its int8 version FashionMicroNetInt8 (`micronet quantize`, docs/int8.md), which
// also reports how many of its predictions equal the float model's.
// Default input: the bundled 1,000 test images; --full: the 10,000 of Debian's dataset-fashion-mnist.

const string DebianDir = "/usr/share/datasets/fashion-mnist";
string dataDir = Path.Combine(AppContext.BaseDirectory, "data");
string images = Path.Combine(dataDir, "t10k-subset-images-idx3-ubyte.gz");
string labels = Path.Combine(dataDir, "t10k-subset-labels-idx1-ubyte.gz");
string errorsPath = "fashion-mnist-errors.svg";
string? predictionsPath = null;
bool int8 = false;
var positional = new System.Collections.Generic.List<string>();
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--full":
            images = Path.Combine(DebianDir, "t10k-images-idx3-ubyte.gz");
            labels = Path.Combine(DebianDir, "t10k-labels-idx1-ubyte.gz");
            break;
        case "--int8": int8 = true; break;
        case "--errors" when i + 1 < args.Length: errorsPath = args[++i]; break;
        case "--predictions" when i + 1 < args.Length: predictionsPath = args[++i]; break;
        case "-h" or "--help":
            Console.WriteLine("usage: fashion-mnist [IMAGES.idx[.gz] LABELS.idx[.gz] | --full] [--int8] [--errors FILE.svg] [--predictions FILE]");
            return 0;
        default: positional.Add(args[i]); break;
    }
}
if (positional.Count == 2) (images, labels) = (positional[0], positional[1]);
else if (positional.Count != 0) { Console.Error.WriteLine("error: give both an images and a labels file, or neither"); return 2; }

byte[] pixels, truth;
int count, rows, cols;
try
{
    pixels = Idx.Read(images, 2051, out count, out rows, out cols);
    truth = Idx.Read(labels, 2049, out int labelCount, out _, out _);
    if (labelCount != count) throw new InvalidDataException($"{images} has {count} images but {labels} has {labelCount} labels");
    if (rows != 28 || cols != 28) throw new InvalidDataException($"{images}: {rows}x{cols} images, expected 28x28");
}
catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
{
    Console.Error.WriteLine("error: " + e.Message + (images.StartsWith(DebianDir) ? " (install Debian's dataset-fashion-mnist)" : ""));
    return 1;
}

Model model = int8 ? Model.Int8 : Model.Float;
// the class names come with the model file ("labels"), as FashionMicroNet.Labels
string[] classNames = model.Labels;

// pixel / 255, zero-padded 28x28 -> 32x32, then normalized (as the model was trained)
int side = model.InputHeight, pad = (side - 28) / 2;
float mean = model.Mean, std = model.Std;
void Prepare(int index, Span<float> input)
{
    input.Fill((0f - mean) / std);
    for (int y = 0; y < 28; y++)
        for (int x = 0; x < 28; x++)
            input[(y + pad) * side + x + pad] = (pixels[index * 784 + y * 28 + x] / 255f - mean) / std;
}

var predicted = new int[count];
// One thread. Classify runs the model in its per-thread arena and returns index, label and
// probability, allocating nothing. Warm-up first, untimed: the first call opens (and checks) the
// weights, and under the JIT the hot methods start at tier 0 and are recompiled optimized only
// after about 30 calls and a pause in new compilations; one second of runs gets past that. Then
// whole passes over the images until one second has passed, and the fastest pass is the figure.
{
    var input = new float[model.InputLength];
    var warmup = Stopwatch.StartNew();
    for (int n = 0; warmup.ElapsedMilliseconds < 1000 || n < 300; n++)
    {
        Prepare(n % count, input);
        model.Classify(input);
    }
    // allocations: Prepare + Classify on every image, nothing else in the loop (the timed passes
    // below also allocate a progress line now and then)
    long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
    for (int n = 0; n < count; n++)
    {
        Prepare(n, input);
        predicted[n] = model.Classify(input).Index;
    }
    long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
    bool showProgress = count >= 2000 && !Console.IsErrorRedirected;
    double best = double.MaxValue;
    int passes = 0;
    var total = Stopwatch.StartNew();
    do
    {
        var clock = Stopwatch.StartNew();
        for (int n = 0; n < count; n++)
        {
            Prepare(n, input);
            predicted[n] = model.Classify(input).Index;
            if (showProgress && passes == 0 && (n % 250 == 0 || n == count - 1))
            {
                int filled = (n + 1) * 40 / count;
                Console.Error.Write($"\r[{new string('#', filled)}{new string('.', 40 - filled)}] {n + 1}/{count}");
            }
        }
        best = Math.Min(best, clock.Elapsed.TotalSeconds);
        passes++;
    } while (total.ElapsedMilliseconds < 1000);
    if (showProgress) Console.Error.WriteLine();
    int correct = Enumerable.Range(0, count).Count(n => predicted[n] == truth[n]);
    Console.WriteLine($"{model.Name} ({model.Parameters:N0} parameters, {model.Macs:N0} MACs, {(int8 ? "int8" : "float32")}, a {model.ArenaBytes:N0}-byte arena) on {count:N0} images from {Path.GetFileName(images)}");
    Console.WriteLine($"accuracy: {correct}/{count} = {100.0 * correct / count:F2}%");
    if (int8)
    {
        // the float model on the same images: how often the int8 model predicts what it does
        int same = 0, floatCorrect = 0;
        for (int n = 0; n < count; n++)
        {
            Prepare(n, input);
            int p = Model.Float.Classify(input).Index;
            same += p == predicted[n] ? 1 : 0;
            floatCorrect += p == truth[n] ? 1 : 0;
        }
        Console.WriteLine($"float32 model: {100.0 * floatCorrect / count:F2}%; equal predictions: {same}/{count} = {100.0 * same / count:F2}%");
    }
    Console.WriteLine();
    PrintConfusion(truth, predicted, classNames);
    Console.WriteLine();
    // the first image's three most probable classes
    var top = new Prediction[3]; // reused across calls: TopK itself allocates nothing
    Prepare(0, input);
    int shown = model.TopK(input, top);
    Console.WriteLine($"image 0 (true class {classNames[truth[0]]}), top 3: " + string.Join(", ", top.Take(shown).Select(p => $"{p.Label} {100 * p.Probability:F1}%")));
    Console.WriteLine();
    Console.WriteLine($"throughput, 1 thread:  {count / best,10:N0} images/s ({best * 1e6 / count:F1} us per image, preprocessing included; warm: the fastest of {passes} passes)");
    Console.WriteLine($"allocations per image: {allocated / (double)count:F1} bytes (over {count:N0} calls)");
}

// All cores: the images as one batch on an InferencePool (RunBatch: each thread takes the next
// image and runs it in its own arena; the outputs equal the single calls' bit for bit), the
// fastest of the passes in one second. Preprocessing is done once, before the clock.
{
    int threads = Environment.ProcessorCount;
    using var pool = new InferencePool(threads);
    var inputs = new float[(long)count * model.InputLength];
    for (int n = 0; n < count; n++) Prepare(n, inputs.AsSpan(n * model.InputLength, model.InputLength));
    var outputs = new float[(long)count * model.OutputLength];
    model.RunBatch(inputs, outputs, pool); // warm-up: each pool thread's first call allocates its arena
    double best = double.MaxValue, bestSingle = double.MaxValue;
    int passes = 0;
    var total = Stopwatch.StartNew();
    do
    {
        var clock = Stopwatch.StartNew();
        model.RunBatch(inputs, outputs, pool);
        best = Math.Min(best, clock.Elapsed.TotalSeconds);
        // the same batch as single calls on this thread, for the ratio
        clock.Restart();
        for (int n = 0; n < count; n++)
            model.Run(inputs.AsSpan(n * model.InputLength, model.InputLength), outputs.AsSpan(n * model.OutputLength, model.OutputLength));
        bestSingle = Math.Min(bestSingle, clock.Elapsed.TotalSeconds);
        passes++;
    } while (total.ElapsedMilliseconds < 1000);
    model.RunBatch(inputs, outputs, pool);
    for (int n = 0; n < count; n++)
        if (Classification.Classify(outputs.AsSpan(n * model.OutputLength, model.OutputLength), default).Index != predicted[n])
            throw new InvalidOperationException("the batch on the pool disagrees with the single calls at image " + n);
    Console.WriteLine($"throughput, {threads} threads: {count / best,10:N0} images/s (RunBatch on an InferencePool of {threads}, {bestSingle / best:F2}x the same batch as single calls; the fastest of {passes} passes)");
}

if (predictionsPath != null) File.WriteAllLines(predictionsPath, predicted.Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture)));
int errors = WriteErrorGrid(errorsPath, pixels, truth, predicted, classNames);
Console.WriteLine($"wrote {errorsPath} ({errors} misclassified images shown)");
return 0;

static void PrintConfusion(byte[] truth, int[] predicted, string[] names)
{
    int k = names.Length;
    var m = new int[k, k];
    for (int n = 0; n < predicted.Length; n++) m[truth[n], predicted[n]]++;
    Console.WriteLine("confusion matrix (rows: true class, columns: predicted)");
    Console.WriteLine(new string(' ', 13) + string.Concat(Enumerable.Range(0, k).Select(c => c.ToString().PadLeft(6))) + "  recall");
    for (int t = 0; t < k; t++)
    {
        int total = Enumerable.Range(0, k).Sum(p => m[t, p]);
        var sb = new StringBuilder($"{t} {names[t],-11}");
        for (int p = 0; p < k; p++) sb.Append(m[t, p].ToString().PadLeft(6));
        sb.Append(total == 0 ? "     -" : $"  {100.0 * m[t, t] / total,5:F1}%");
        Console.WriteLine(sb.ToString());
    }
}

// An SVG grid of (up to 48) misclassified images, each labelled "true -> predicted".
static int WriteErrorGrid(string path, byte[] pixels, byte[] truth, int[] predicted, string[] names)
{
    var wrong = Enumerable.Range(0, predicted.Length).Where(n => predicted[n] != truth[n]).Take(48).ToList();
    const int scale = 3, cell = 28 * scale, label = 30, columns = 8;
    int gridRows = Math.Max(1, (wrong.Count + columns - 1) / columns);
    var svg = new StringBuilder();
    svg.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{columns * (cell + 8)}\" height=\"{gridRows * (cell + label) + 30}\" font-family=\"sans-serif\" font-size=\"10\">\n");
    svg.Append($"<text x=\"4\" y=\"18\" font-size=\"14\">Fashion-MNIST: misclassified images (true -&gt; predicted), first {wrong.Count}</text>\n");
    for (int i = 0; i < wrong.Count; i++)
    {
        int n = wrong[i], x0 = i % columns * (cell + 8), y0 = 30 + i / columns * (cell + label);
        svg.Append($"<g transform=\"translate({x0},{y0})\"><rect width=\"{cell}\" height=\"{cell}\" fill=\"black\"/>");
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++)
            {
                byte v = pixels[n * 784 + y * 28 + x];
                if (v > 8) svg.Append($"<rect x=\"{x * scale}\" y=\"{y * scale}\" width=\"{scale}\" height=\"{scale}\" fill=\"#{v:x2}{v:x2}{v:x2}\"/>");
            }
        svg.Append($"<text y=\"{cell + 11}\">{Escape(names[truth[n]])}</text><text y=\"{cell + 22}\" fill=\"#c00\">-&gt; {Escape(names[predicted[n]])}</text></g>\n");
    }
    svg.Append("</svg>\n");
    File.WriteAllText(path, svg.ToString());
    return wrong.Count;
}

static string Escape(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
