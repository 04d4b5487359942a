using System;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

// ort-count MODEL.onnx --runs N: N inferences of ONNX Runtime (one thread, no spinning) on a fixed
// input; bench/arm64-counts.sh counts --runs 1 and --runs 11 and takes the difference / 10.
string model = args[0];
int runs = args.Length > 2 && args[1] == "--runs" ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1;
using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
options.AddSessionConfigEntry("session.inter_op.allow_spinning", "0");
using var session = new InferenceSession(model, options);
var inputMeta = session.InputMetadata.First();
int[] dims = inputMeta.Value.Dimensions.Select(d => d < 0 ? 1 : d).ToArray();
var data = new float[dims.Aggregate(1, (a, b) => a * b)];
for (int i = 0; i < data.Length; i++) data[i] = (float)Math.Sin(i * 0.001);
var tensor = new DenseTensor<float>(data, dims);
var inputs = new[] { NamedOnnxValue.CreateFromTensor(inputMeta.Key, tensor) };
float checksum = 0;
for (int r = 0; r < runs; r++)
{
    using var results = session.Run(inputs);
    checksum += results.First().AsEnumerable<float>().First();
}
Console.WriteLine($"runs={runs} checksum={checksum}");
