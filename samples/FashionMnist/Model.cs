using System;
using MicroNet.Aot.Runtime;

namespace MicroNet.Samples.Fashion;

// The two generated classes the sample can run, behind one shape: FashionMicroNet (float32) and
// FashionMicroNetInt8 (the same network quantized by `micronet quantize` on 1,000 training images;
// every layer in integers, docs/int8.md). Both are static classes with the same members; these
// delegates pick one at start-up (a method group converted once: no allocation per call).
internal delegate void RunImage(ReadOnlySpan<float> input, Span<float> output);
internal delegate void RunImages(ReadOnlySpan<float> inputs, Span<float> outputs, InferencePool pool);
internal delegate Prediction ClassifyImage(ReadOnlySpan<float> input);
internal delegate int TopKImage(ReadOnlySpan<float> input, Span<Prediction> top);

internal sealed record Model(
    string Name, long Parameters, long Macs, long ArenaBytes,
    int InputLength, int InputHeight, int OutputLength, float Mean, float Std, string[] Labels,
    RunImage Run, RunImages RunBatch, ClassifyImage Classify, TopKImage TopK)
{
    public static Model Float { get; } = new(
        nameof(FashionMicroNet), FashionMicroNet.Parameters, FashionMicroNet.Macs, FashionMicroNet.ScratchLength * sizeof(float),
        FashionMicroNet.InputLength, FashionMicroNet.InputHeight, FashionMicroNet.OutputLength,
        FashionMicroNet.InputMean[0], FashionMicroNet.InputStd[0], FashionMicroNet.Labels.ToArray(),
        FashionMicroNet.Run, FashionMicroNet.RunBatch, FashionMicroNet.Classify, FashionMicroNet.TopK);

    public static Model Int8 { get; } = new(
        nameof(FashionMicroNetInt8), FashionMicroNetInt8.Parameters, FashionMicroNetInt8.Macs, FashionMicroNetInt8.ScratchLength,
        FashionMicroNetInt8.InputLength, FashionMicroNetInt8.InputHeight, FashionMicroNetInt8.OutputLength,
        FashionMicroNetInt8.InputMean[0], FashionMicroNetInt8.InputStd[0], FashionMicroNetInt8.Labels.ToArray(),
        FashionMicroNetInt8.Run, FashionMicroNetInt8.RunBatch, FashionMicroNetInt8.Classify, FashionMicroNetInt8.TopK);
}
