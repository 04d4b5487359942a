using System;
using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;

namespace MicroNet.Aot.Bench;

/// <summary>
/// Batch 1, 224x224, one thread: ONNX Runtime (sequential, ORT_ENABLE_ALL, input and output bound
/// once) against the generated code, on the same weights and input. The setup checks that both
/// agree with the PyTorch reference before anything is timed.
/// </summary>
[MemoryDiagnoser]
public class InferenceBenchmarks
{
    [Params("M0", "M1", "M2", "M3")]
    public string Model { get; set; } = "M0";

    private GeneratedModel _model = null!;
    private float[] _input = null!, _output = null!, _ortOutput = null!, _scratch = null!;
    private InferenceSession _session = null!;
    private OrtValue _ortInput = null!, _ortOutputValue = null!;
    private OrtIoBinding _binding = null!;
    private RunOptions _runOptions = null!;

    [GlobalSetup]
    public void Setup()
    {
        _model = GeneratedModel.Get(Model);
        _input = BenchData.Input();
        _output = new float[_model.OutputLength];
        _ortOutput = new float[_model.OutputLength];
        _scratch = new float[_model.ScratchLength];

        var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(BenchData.Onnx(Model), options);
        _ortInput = OrtValue.CreateTensorValueFromMemory(_input, new long[] { 1, 3, 224, 224 });
        _ortOutputValue = OrtValue.CreateTensorValueFromMemory(_ortOutput, new long[] { 1, _model.OutputLength });
        _binding = _session.CreateIoBinding();
        _binding.BindInput("input", _ortInput);
        _binding.BindOutput("output", _ortOutputValue);
        _runOptions = new RunOptions();

        OnnxRuntime();
        Generated();
        BenchData.CheckAgainstReference("ONNX Runtime", Model, _ortOutput);
        BenchData.CheckAgainstReference("generated", Model, _output);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _binding.Dispose();
        _ortInput.Dispose();
        _ortOutputValue.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }

    [Benchmark(Baseline = true, Description = "ONNX Runtime")]
    public void OnnxRuntime() => _session.RunWithBinding(_runOptions, _binding);

    [Benchmark(Description = "MicroNet.Aot")]
    public void Generated() => _model.Run(_input, _output, _scratch);
}
