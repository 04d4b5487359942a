extern alias generator;
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using MicroNet.Aot.Cli;
using MicroNet.Aot.Cli.Checkpoints;
using SharpFuzz;
using Compiler = generator::MicroNet.Aot.ModelCompiler;
using DiagnosticIds = generator::MicroNet.Aot.Diagnostics.DiagnosticDescriptors;
using GeneratorJson = generator::MicroNet.Aot.Model.Json.JsonParser;
using ModelInput = generator::MicroNet.Aot.Pipeline.ModelInput;

namespace MicroNet.Aot.Fuzz;

/// <summary>
/// One harness per reader of untrusted bytes. A harness returns normally when the input is read or
/// refused the documented way (a <see cref="CliError"/> from the importer's readers; diagnostics
/// from the generator); anything else that escapes (an unexpected exception type, an internal-error
/// diagnostic, a stack overflow, running out of the heap limit) is a finding.
/// </summary>
internal static class Harnesses
{
    /// <summary>The storage budget the readers get (the importer passes the architecture's need; M3 needs about 50 MB).</summary>
    private const long MaxStorageBytes = 64L << 20;

    public static readonly IReadOnlyDictionary<string, (string What, ReadOnlySpanAction Run)> All =
        new SortedDictionary<string, (string, ReadOnlySpanAction)>(StringComparer.Ordinal)
        {
            ["pickle"] = ("the pickle guard and the unpickler (a data.pkl)", Pickle),
            ["torch-zip"] = ("CheckpointReader on a torch.save zip archive", Checkpoint),
            ["torch-legacy"] = ("CheckpointReader on a legacy (pre-1.6) torch.save file", Checkpoint),
            ["safetensors"] = ("SafetensorsReader", Safetensors),
            ["json"] = ("the generator's JSON parser", Json),
            ["model"] = ("the generator's pipeline: model file -> spec -> network -> plans -> C# source", Model),
        };

    private static void Pickle(ReadOnlySpan<byte> data)
    {
        try
        {
            TorchUnpickler.Decode(data.ToArray(), 0, out _, "data.pkl");
        }
        catch (CliError) { }
    }

    private static void Checkpoint(ReadOnlySpan<byte> data)
    {
        string path = InputFile(data);
        try
        {
            CheckpointReader.Read(path, null, MaxStorageBytes);
        }
        catch (CliError) { }
    }

    private static void Safetensors(ReadOnlySpan<byte> data)
    {
        string path = InputFile(data);
        try
        {
            SafetensorsReader.Read(path, MaxStorageBytes);
        }
        catch (CliError) { }
    }

    private static void Json(ReadOnlySpan<byte> data)
    {
        GeneratorJson.Parse(Encoding.UTF8.GetString(data), out _);
    }

    private static void Model(ReadOnlySpan<byte> data)
    {
        var input = new ModelInput("/fuzz/Fuzz.micronet.json", Encoding.UTF8.GetString(data), ClassName: null, Namespace: null,
            RootNamespace: "Fuzz", ResourceName: null, WeightsFile: null, WeightsExist: true, Profile: false);
        var plan = Compiler.Plan(input);
        ThrowOnInternalError(plan.Diagnostics);
        var result = Compiler.Emit(plan);
        ThrowOnInternalError(result.Diagnostics);
        if (plan.Plan != null && result.Source == null)
            throw new InvalidOperationException("a model with an execution plan produced no source");
    }

    private static void ThrowOnInternalError(IEnumerable<generator::MicroNet.Aot.Pipeline.DiagnosticInfo> diagnostics)
    {
        var internalError = diagnostics.FirstOrDefault(d => d.Id == DiagnosticIds.InternalError);
        if (internalError != null) throw new InvalidOperationException(internalError.Id + ": " + internalError.Message);
    }

    private static string? _inputPath;

    /// <summary>The readers take a path (as the CLI does): the input goes to one file per process, in memory where /dev/shm exists.</summary>
    private static string InputFile(ReadOnlySpan<byte> data)
    {
        _inputPath ??= Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), "micronet-fuzz-" + Environment.ProcessId + ".bin");
        using (var f = new FileStream(_inputPath, FileMode.Create, FileAccess.Write, FileShare.None))
            f.Write(data);
        return _inputPath;
    }

    public static void DeleteInputFile()
    {
        if (_inputPath != null) File.Delete(_inputPath);
    }
}
