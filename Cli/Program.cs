using System;
using System.CommandLine;
using System.IO;
using MicroNet.Aot.Cli;
using MicroNet.Aot.Cli.Import;
using MicroNet.Aot.Cli.Inspect;

// micronet: import PyTorch MicroNet checkpoints into MicroNet.Aot model files, print presets,
// inspect model files. Results go to stdout; errors to stderr as "error: ..." with exit code 1.

var root = new RootCommand("MicroNet.Aot model tool: import PyTorch checkpoints, print presets, inspect model files.");

// import
var checkpointArg = new Argument<string>("CHECKPOINT") { Description = "torch.save file (.pth/.pt, zip or legacy format) or .safetensors holding the state_dict" };
var presetOpt = new Option<string?>("--preset") { Description = "official architecture: m0, m1, m2 or m3" };
presetOpt.AcceptOnlyFromAmong(Architectures.PresetNames);
var archOpt = new Option<string?>("--arch") { Description = "architecture JSON file (see 'micronet preset m0' for a start)" };
var inputSizeOpt = new Option<(int Height, int Width)?>("--input-size") { Description = "override the input size: N (N x N pixels) or HEIGHTxWIDTH, e.g. 224x160", CustomParser = InputSize };
var classesOpt = new Option<int?>("--classes") { Description = "override the number of classes", CustomParser = r => WholeNumber(r, "--classes") };
var nameOpt = new Option<string>("--name") { Description = "model name: the files are NAME.micronet.json and NAME.weights.bin", Required = true };
var outOpt = new Option<string>("--out") { Description = "output directory (created if missing)", Required = true };
var labelsOpt = new Option<string?>("--labels") { Description = "class labels: a UTF-8 text file, one label per line in output order (the generated class's Labels and Classify)" };
var import = new Command("import", "Check a checkpoint against an architecture, fold BatchNorm, write NAME.micronet.json + NAME.weights.bin")
{
    checkpointArg, presetOpt, archOpt, inputSizeOpt, classesOpt, nameOpt, outOpt, labelsOpt,
};
import.SetAction(parse => Guarded(() => Importer.Run(new ImportOptions
{
    Checkpoint = parse.GetValue(checkpointArg)!,
    Preset = parse.GetValue(presetOpt),
    ArchPath = parse.GetValue(archOpt),
    InputSize = parse.GetValue(inputSizeOpt),
    Classes = parse.GetValue(classesOpt),
    Name = parse.GetValue(nameOpt)!,
    OutDir = parse.GetValue(outOpt)!,
    LabelsPath = parse.GetValue(labelsOpt),
}, Console.Out, Console.Error)));
root.Subcommands.Add(import);

// preset
var presetArg = new Argument<string>("PRESET") { Description = "m0, m1, m2 or m3" };
presetArg.AcceptOnlyFromAmong(Architectures.PresetNames);
var preset = new Command("preset", "Print a preset architecture as JSON (a start for custom architectures)") { presetArg };
preset.SetAction(parse => Guarded(() => Console.Out.Write(Architectures.PresetText(parse.GetValue(presetArg)!))));
root.Subcommands.Add(preset);

// inspect
var fileArg = new Argument<string>("FILE") { Description = "a model or architecture JSON file, or a preset name" };
var inspect = new Command("inspect", "Print the per-layer table (layer, op, output shape, params, MACs) and totals; verify the weights blob if there is one") { fileArg };
inspect.SetAction(parse => Guarded(() => Inspector.Run(parse.GetValue(fileArg)!, Console.Out)));
root.Subcommands.Add(inspect);

// quantize
var modelArg = new Argument<string>("MODEL") { Description = "the float model: NAME.micronet.json (with its weights file beside it)" };
var calibrationOpt = new Option<string>("--calibration") { Description = "calibration inputs: N normalized C x H x W float32 inputs, little-endian, back to back (NCHW, no header)", Required = true };
var qNameOpt = new Option<string>("--name") { Description = "int8 model name: the files are NAME.micronet.json and NAME.weights.bin", Required = true };
var qOutOpt = new Option<string>("--out") { Description = "output directory (created if missing)", Required = true };
var samplesOpt = new Option<int?>("--samples") { Description = "use the first N inputs of the calibration file (default: all)", CustomParser = r => WholeNumber(r, "--samples") };
var methodOpt = new Option<string>("--method") { Description = "range of each tensor: percentile (default) or minmax", DefaultValueFactory = _ => "percentile" };
methodOpt.AcceptOnlyFromAmong("percentile", "minmax");
var percentileOpt = new Option<double>("--percentile") { Description = "for --method percentile: the share of values inside the range, in percent (default 99.99)", DefaultValueFactory = _ => 99.99 };
var quantize = new Command("quantize", "Quantize a float model to int8 (post-training, calibrated on sample inputs): writes an int8 NAME.micronet.json + NAME.weights.bin")
{
    modelArg, calibrationOpt, qNameOpt, qOutOpt, samplesOpt, methodOpt, percentileOpt,
};
quantize.SetAction(parse => Guarded(() => MicroNet.Aot.Cli.Quantize.Quantizer.Run(new MicroNet.Aot.Cli.Quantize.QuantizeOptions
{
    Model = parse.GetValue(modelArg)!,
    Calibration = parse.GetValue(calibrationOpt)!,
    Name = parse.GetValue(qNameOpt)!,
    OutDir = parse.GetValue(qOutOpt)!,
    Samples = parse.GetValue(samplesOpt),
    Method = parse.GetValue(methodOpt)!,
    Percentile = parse.GetValue(percentileOpt),
}, Console.Out)));
root.Subcommands.Add(quantize);

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    // one "error:" line per problem, naming the option (not a .NET type), exit code 2
    foreach (var e in parsed.Errors) Console.Error.WriteLine("error: " + e.Message);
    return 2;
}
return parsed.Invoke();

static int? WholeNumber(System.CommandLine.Parsing.ArgumentResult result, string option)
{
    string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
    if (int.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out int value)) return value;
    result.AddError(option + " '" + text + "': not a whole number" + (text.Length > 0 && long.TryParse(text, out _) ? " in range" : ""));
    return null;
}

static (int Height, int Width)? InputSize(System.CommandLine.Parsing.ArgumentResult result)
{
    string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
    var parts = text.Split('x');
    var inv = System.Globalization.CultureInfo.InvariantCulture;
    const System.Globalization.NumberStyles sign = System.Globalization.NumberStyles.AllowLeadingSign;
    if (parts.Length == 1 && int.TryParse(parts[0], sign, inv, out int side)) return (side, side);
    if (parts.Length == 2 && int.TryParse(parts[0], sign, inv, out int h) && int.TryParse(parts[1], sign, inv, out int w)) return (h, w);
    result.AddError("--input-size '" + text + "': expected a whole number N or HEIGHTxWIDTH (such as 224 or 224x160)");
    return null;
}

static int Guarded(Action action)
{
    try
    {
        action();
        return 0;
    }
    catch (CliError e)
    {
        Console.Error.WriteLine("error: " + e.Message);
        return 1;
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
    {
        // the file system's own message names the path (an output folder that cannot be created, ...)
        Console.Error.WriteLine("error: " + e.Message);
        return 1;
    }
}
