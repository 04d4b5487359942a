// Reads a model file's JSON text into a ModelSpec, checking types, required and unknown fields and
// value ranges. Structural checks (group divisibility, widths that must agree) happen when the
// network is lowered (Lowering/NetworkBuilder.cs); the manifest check in ManifestValidator.cs.
using System.Collections.Generic;
using System.Globalization;
using MicroNet.Aot.Model.Json;

namespace MicroNet.Aot.Model;

public sealed class ModelSpecReader
{
    private readonly List<ModelIssue> _issues = new List<ModelIssue>();
    private readonly ModelSpec _spec = new ModelSpec();

    private ModelSpecReader() { }

    /// <summary>
    /// Parses and checks a model file. <paramref name="requireWeights"/> is true for model files
    /// (NAME.micronet.json) and false for architecture files (presets, --arch). The spec is null
    /// when any issue was found.
    /// </summary>
    public static ModelSpec? Read(string text, bool requireWeights, out List<ModelIssue> issues)
    {
        var reader = new ModelSpecReader();
        JsonNode? root = JsonParser.Parse(text, out var syntax);
        if (root == null)
        {
            reader._issues.Add(new ModelIssue(IssueIds.MalformedJson, syntax!.Message, "", syntax.Position));
        }
        else
        {
            reader.ReadRoot(root, requireWeights);
        }
        issues = reader._issues;
        return issues.Count == 0 ? reader._spec : null;
    }

    private void Report(string id, string path, TextPosition position, string message) =>
        _issues.Add(new ModelIssue(id, message, path, position));

    private static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;

    // --- objects -----------------------------------------------------------------------------

    /// <summary>Checks that <paramref name="node"/> is an object with only known, non-duplicate keys.</summary>
    private JsonObject? AsObject(JsonNode node, string path, params string[] allowed)
    {
        _spec.Positions[path] = node.Position;
        if (node is not JsonObject obj)
        {
            Report(IssueIds.WrongType, path, node.Position, "expected an object, found " + node.Describe());
            return null;
        }
        var seen = new HashSet<string>();
        foreach (var p in obj.Properties)
        {
            if (System.Array.IndexOf(allowed, p.Name) < 0)
                Report(IssueIds.UnknownField, Join(path, p.Name), p.NamePosition,
                    "unknown field \"" + p.Name + "\" (allowed here: " + string.Join(", ", allowed) + ")");
            else if (!seen.Add(p.Name))
                Report(IssueIds.UnknownField, Join(path, p.Name), p.NamePosition, "field \"" + p.Name + "\" is given twice");
        }
        return obj;
    }

    private JsonNode? Required(JsonObject obj, string path, string name)
    {
        var p = obj.Find(name);
        if (p == null)
        {
            Report(IssueIds.MissingField, Join(path, name), obj.Position, "required field \"" + name + "\" is missing");
            return null;
        }
        _spec.Positions[Join(path, name)] = p.Value.Position;
        return p.Value;
    }

    private JsonNode? Optional(JsonObject obj, string path, string name)
    {
        var p = obj.Find(name);
        if (p != null) _spec.Positions[Join(path, name)] = p.Value.Position;
        return p?.Value;
    }

    // --- scalars -----------------------------------------------------------------------------

    private int Int(JsonNode? node, string path, int min, int max = int.MaxValue)
    {
        if (node == null) return 0;
        if (node is not JsonNumber num)
        {
            Report(IssueIds.WrongType, path, node.Position, "expected an integer, found " + node.Describe());
            return 0;
        }
        if (num.Value != System.Math.Floor(num.Value) || num.Value < int.MinValue || num.Value > int.MaxValue)
        {
            Report(IssueIds.WrongType, path, node.Position, "expected an integer, found " + num.Text);
            return 0;
        }
        int value = (int)num.Value;
        if (value < min || value > max)
        {
            Report(IssueIds.InvalidValue, path, node.Position, max == int.MaxValue
                ? "must be at least " + min + ", found " + num.Text
                : "must be between " + min + " and " + max + ", found " + num.Text);
        }
        return value;
    }

    private long Long(JsonNode? node, string path, long min)
    {
        if (node == null) return 0;
        if (node is not JsonNumber num || num.Value != System.Math.Floor(num.Value) || System.Math.Abs(num.Value) > 9007199254740992.0)
        {
            Report(IssueIds.WrongType, path, node.Position, "expected an integer, found " + (node is JsonNumber n ? n.Text : node.Describe()));
            return 0;
        }
        long value = long.Parse(num.Text.Contains("e") || num.Text.Contains("E") || num.Text.Contains(".")
            ? ((long)num.Value).ToString(CultureInfo.InvariantCulture) : num.Text, CultureInfo.InvariantCulture);
        if (value < min) Report(IssueIds.InvalidValue, path, node.Position, "must be at least " + min + ", found " + num.Text);
        return value;
    }

    private double Number(JsonNode? node, string path)
    {
        if (node == null) return 0;
        if (node is not JsonNumber num)
        {
            Report(IssueIds.WrongType, path, node.Position, "expected a number, found " + node.Describe());
            return 0;
        }
        return num.Value;
    }

    private bool Bool(JsonNode? node, string path, bool absent)
    {
        if (node == null) return absent;
        if (node.Kind == JsonKind.True) return true;
        if (node.Kind == JsonKind.False) return false;
        Report(IssueIds.WrongType, path, node.Position, "expected true or false, found " + node.Describe());
        return absent;
    }

    private string? String(JsonNode? node, string path)
    {
        if (node == null) return null;
        if (node is not JsonString s)
        {
            Report(IssueIds.WrongType, path, node.Position, "expected a string, found " + node.Describe());
            return null;
        }
        return s.Value;
    }

    private JsonArray? Array(JsonNode? node, string path, int exactLength = -1)
    {
        if (node == null) return null;
        if (node is not JsonArray arr)
        {
            Report(IssueIds.WrongType, path, node.Position, "expected an array, found " + node.Describe());
            return null;
        }
        if (exactLength >= 0 && arr.Items.Count != exactLength)
        {
            Report(IssueIds.InvalidValue, path, node.Position, "expected " + exactLength + " items, found " + arr.Items.Count);
            return null;
        }
        for (int i = 0; i < arr.Items.Count; i++) _spec.Positions[path + "[" + i + "]"] = arr.Items[i].Position;
        return arr;
    }

    private double[] Numbers(JsonNode? node, string path, int exactLength)
    {
        var result = new double[exactLength < 0 ? 0 : exactLength];
        var arr = Array(node, path, exactLength);
        if (arr == null) return result;
        result = new double[arr.Items.Count];
        for (int i = 0; i < arr.Items.Count; i++) result[i] = Number(arr.Items[i], path + "[" + i + "]");
        return result;
    }

    // --- the document ------------------------------------------------------------------------

    private void ReadRoot(JsonNode node, bool requireWeights)
    {
        // the format tag decides which keys exist, so it is read before the keys are checked
        if (node is JsonObject peek && peek.Find("format")?.Value is JsonString tag && tag.Value == ModelSpec.FormatTag2)
            _version = 2;
        var root = _version == 2
            ? AsObject(node, "", "$schema", "format", "name", "description", "input", "classes", "labels", "stem", "stages", "head", "activation", "shuffle", "quantization", "weights")
            : AsObject(node, "", "$schema", "format", "name", "description", "input", "classes", "labels", "stem", "stages", "head", "activation", "shuffle", "weights");
        if (root == null) return;

        var format = String(Required(root, "", "format"), "format");
        if (format != null && format != ModelSpec.FormatTag && format != ModelSpec.FormatTag2)
        {
            Report(IssueIds.UnsupportedFormat, "format", _spec.Locate("format"),
                "unsupported format \"" + format + "\": this version reads \"" + ModelSpec.FormatTag + "\" and \"" + ModelSpec.FormatTag2 + "\"");
            return; // the rest of a foreign format would only produce noise
        }
        if (format != null) _spec.Format = format;

        _spec.Name = String(Required(root, "", "name"), "name") ?? "";
        if (_spec.Positions.ContainsKey("name") && (!IsIdentifier(_spec.Name) || IsKeyword(_spec.Name)))
            Report(IssueIds.InvalidValue, "name", _spec.Locate("name"),
                "\"" + _spec.Name + "\" is not a valid name: use letters, digits and '_', not starting with a digit, and no C# keyword (it names the generated class and files)");
        _spec.Description = String(Optional(root, "", "description"), "description");

        var input = Required(root, "", "input");
        if (input != null && AsObject(input, "input", "channels", "height", "width", "mean", "std") is JsonObject inObj)
        {
            _spec.InputChannels = Int(Required(inObj, "input", "channels"), "input.channels", 1, 4096);
            // any size the authors' forward accepts: every conv keeps at least one pixel (odd kernels,
            // padding k / 2), non-square and non-multiples of 32 included (their constructor's
            // `assert input_size % 32 == 0` checks an argument forward never uses)
            _spec.InputHeight = Int(Required(inObj, "input", "height"), "input.height", 1, 65536);
            _spec.InputWidth = Int(Required(inObj, "input", "width"), "input.width", 1, 65536);
            int ch = _spec.InputChannels > 0 ? _spec.InputChannels : -1;
            _spec.Mean = Numbers(Required(inObj, "input", "mean"), "input.mean", ch);
            _spec.Std = Numbers(Required(inObj, "input", "std"), "input.std", ch);
            for (int i = 0; i < _spec.Std.Length; i++)
                if (!(_spec.Std[i] > 0))
                    Report(IssueIds.InvalidValue, "input.std[" + i + "]", _spec.Locate("input.std[" + i + "]"), "a standard deviation must be positive");
        }

        _spec.Classes = Int(Required(root, "", "classes"), "classes", 1, 1 << 20);
        _spec.Shuffle = Bool(Optional(root, "", "shuffle"), "shuffle", true);
        var labels = Array(Optional(root, "", "labels"), "labels");
        if (labels != null)
        {
            if (_spec.Classes > 0 && labels.Items.Count != _spec.Classes)
                Report(IssueIds.InvalidValue, "labels", labels.Position,
                    "expected one label per class (" + _spec.Classes + "), found " + labels.Items.Count);
            _spec.Labels = new string[labels.Items.Count];
            for (int i = 0; i < labels.Items.Count; i++)
            {
                string path = "labels[" + i + "]";
                string label = String(labels.Items[i], path) ?? "";
                if (labels.Items[i] is JsonString && LabelProblem(label) is string problem)
                    Report(IssueIds.InvalidValue, path, labels.Items[i].Position, problem);
                _spec.Labels[i] = label;
            }
        }

        var stem = Required(root, "", "stem");
        if (stem != null && AsObject(stem, "stem", "channels", "groups") is JsonObject stemObj)
        {
            _spec.StemChannels = Int(Required(stemObj, "stem", "channels"), "stem.channels", 1, 65536);
            var groups = Array(Required(stemObj, "stem", "groups"), "stem.groups", 2);
            if (groups != null)
            {
                _spec.StemGroup1 = Int(groups.Items[0], "stem.groups[0]", 1, 65536);
                _spec.StemGroup2 = Int(groups.Items[1], "stem.groups[1]", 1, 65536);
            }
        }

        var stages = Array(Required(root, "", "stages"), "stages");
        if (stages != null)
        {
            if (stages.Items.Count == 0) Report(IssueIds.InvalidValue, "stages", stages.Position, "the stage table needs at least one row");
            for (int i = 0; i < stages.Items.Count; i++) ReadStage(stages.Items[i], "stages[" + i + "]");
        }

        var head = Required(root, "", "head");
        if (head != null && AsObject(head, "head", "channels") is JsonObject headObj)
            _spec.HeadChannels = Int(Required(headObj, "head", "channels"), "head.channels", 1, 1 << 20);

        var act = Required(root, "", "activation");
        if (act != null && AsObject(act, "activation", "act_max", "init_a", "init_b", "init_a_block3", "reduction") is JsonObject actObj)
        {
            _spec.ActMax = Number(Required(actObj, "activation", "act_max"), "activation.act_max");
            if (_spec.Positions.ContainsKey("activation.act_max") && !(_spec.ActMax > 0))
                Report(IssueIds.InvalidValue, "activation.act_max", _spec.Locate("activation.act_max"), "must be positive");
            _spec.InitA = Numbers(Required(actObj, "activation", "init_a"), "activation.init_a", 2);
            _spec.InitB = Numbers(Required(actObj, "activation", "init_b"), "activation.init_b", 2);
            _spec.InitABlock3 = Numbers(Required(actObj, "activation", "init_a_block3"), "activation.init_a_block3", 2);
            _spec.Reduction = Int(Required(actObj, "activation", "reduction"), "activation.reduction", 1, 1 << 16);
        }

        var quantization = Optional(root, "", "quantization");
        if (quantization != null) ReadQuantization(quantization);

        var weights = requireWeights ? Required(root, "", "weights") : Optional(root, "", "weights");
        if (weights != null) ReadWeights(weights);
    }

    private int _version = 1;

    private TensorQuant ReadTensorQuant(JsonNode node, string path)
    {
        var obj = AsObject(node, path, "scale", "zero");
        if (obj == null) return new TensorQuant(1f, 0);
        double scale = Number(Required(obj, path, "scale"), path + ".scale");
        int zero = Int(Required(obj, path, "zero"), path + ".zero", -128, 127);
        return new TensorQuant((float)scale, zero);
    }

    private void ReadQuantization(JsonNode node)
    {
        const string path = "quantization";
        var obj = AsObject(node, path, "scheme", "calibration", "input", "layers");
        if (obj == null) return;
        string? scheme = String(Required(obj, path, "scheme"), path + ".scheme");
        if (scheme != null && scheme != QuantizationSpec.SchemeInt8)
            Report(IssueIds.InvalidValue, path + ".scheme", _spec.Locate(path + ".scheme"),
                "unsupported scheme \"" + scheme + "\": this version reads \"" + QuantizationSpec.SchemeInt8 + "\"");
        CalibrationInfo? calibration = null;
        var cal = Optional(obj, path, "calibration");
        if (cal != null)
        {
            var c = AsObject(cal, path + ".calibration", "method", "percentile", "samples");
            if (c != null)
            {
                string method = String(Required(c, path + ".calibration", "method"), path + ".calibration.method") ?? "";
                if (method != "minmax" && method != "percentile" && _spec.Positions.ContainsKey(path + ".calibration.method"))
                    Report(IssueIds.InvalidValue, path + ".calibration.method", _spec.Locate(path + ".calibration.method"),
                        "expected \"minmax\" or \"percentile\", found \"" + method + "\"");
                double percentile = Number(Optional(c, path + ".calibration", "percentile"), path + ".calibration.percentile");
                int samples = Int(Required(c, path + ".calibration", "samples"), path + ".calibration.samples", 1);
                calibration = new CalibrationInfo(method, percentile, samples);
            }
        }
        var inputNode = Required(obj, path, "input");
        var input = inputNode == null ? new TensorQuant(1f, 0) : ReadTensorQuant(inputNode, path + ".input");
        var layers = new List<LayerQuant>();
        var arr = Array(Required(obj, path, "layers"), path + ".layers");
        if (arr != null)
        {
            for (int i = 0; i < arr.Items.Count; i++)
            {
                string lp = path + ".layers[" + i + "]";
                var l = AsObject(arr.Items[i], lp, "name", "scale", "zero", "coefficient_bits");
                if (l == null) continue;
                string name = String(Required(l, lp, "name"), lp + ".name") ?? "";
                double scale = Number(Required(l, lp, "scale"), lp + ".scale");
                int zero = Int(Required(l, lp, "zero"), lp + ".zero", -128, 127);
                var bits = Optional(l, lp, "coefficient_bits");
                int coefficientBits = bits == null ? -1 : Int(bits, lp + ".coefficient_bits", 0, QuantizationSpec.MaxCoefficientBits);
                layers.Add(new LayerQuant(name, new TensorQuant((float)scale, zero), coefficientBits));
            }
        }
        _spec.Quantization = new QuantizationSpec(input, layers, calibration);
    }

    private void ReadStage(JsonNode node, string path)
    {
        var obj = AsObject(node, path, StageRow.FieldNames);
        if (obj == null) return;
        var values = new int[StageRow.FieldNames.Length];
        for (int f = 0; f < values.Length; f++)
        {
            string name = StageRow.FieldNames[f];
            string fieldPath = path + "." + name;
            // g1, g3, g4, c3 may be 0 (block kinds A and C; c3 is unused by group pointwise convs),
            // y1..y3 select the activation (0 none/ReLU6, 1 Shift-Max with 2 coefficient sets, 2 with 4).
            int min = name is "g1" or "g3" or "g4" or "c3" or "y1" or "y2" or "y3" ? 0 : 1;
            int max = name.StartsWith("y") ? 2 : 65536;
            values[f] = Int(Required(obj, path, name), fieldPath, min, max);
        }
        _spec.Stages.Add(new StageRow(values));
    }

    private void ReadWeights(JsonNode node)
    {
        var obj = AsObject(node, "weights", "file", "bytes", "sha256", "xxhash64", "tensors");
        if (obj == null) return;
        string file = String(Required(obj, "weights", "file"), "weights.file") ?? "";
        if (_spec.Positions.ContainsKey("weights.file") && (file.Length == 0 || file.IndexOfAny(new[] { '/', '\\' }) >= 0 || file == "." || file == ".."))
            Report(IssueIds.InvalidValue, "weights.file", _spec.Locate("weights.file"),
                "must be a plain file name next to the JSON file (no directories), found \"" + file + "\"");
        long bytes = Long(Required(obj, "weights", "bytes"), "weights.bytes", 0);
        string sha = String(Required(obj, "weights", "sha256"), "weights.sha256") ?? "";
        if (_spec.Positions.ContainsKey("weights.sha256") && !IsHex(sha, 64))
            Report(IssueIds.InvalidValue, "weights.sha256", _spec.Locate("weights.sha256"), "expected 64 lower-case hexadecimal digits");
        string xxh = String(Required(obj, "weights", "xxhash64"), "weights.xxhash64") ?? "";
        if (_spec.Positions.ContainsKey("weights.xxhash64") && !IsHex(xxh, 16))
            Report(IssueIds.InvalidValue, "weights.xxhash64", _spec.Locate("weights.xxhash64"), "expected 16 lower-case hexadecimal digits");
        var tensors = new List<TensorEntry>();
        var arr = Array(Required(obj, "weights", "tensors"), "weights.tensors");
        if (arr != null)
        {
            for (int i = 0; i < arr.Items.Count; i++)
            {
                string tp = "weights.tensors[" + i + "]";
                var t = _version == 2 ? AsObject(arr.Items[i], tp, "name", "shape", "offset", "dtype") : AsObject(arr.Items[i], tp, "name", "shape", "offset");
                if (t == null) continue;
                var type = TensorType.Float32;
                var dtype = Optional(t, tp, "dtype");
                if (dtype != null && String(dtype, tp + ".dtype") is string typeName && !TensorTypes.TryParse(typeName, out type))
                    Report(IssueIds.InvalidValue, tp + ".dtype", _spec.Locate(tp + ".dtype"),
                        "expected \"float32\", \"int8\" or \"int32\", found \"" + typeName + "\"");
                string name = String(Required(t, tp, "name"), tp + ".name") ?? "";
                var shapeArr = Array(Required(t, tp, "shape"), tp + ".shape");
                var shape = new int[shapeArr?.Items.Count ?? 0];
                for (int d = 0; d < shape.Length; d++) shape[d] = Int(shapeArr!.Items[d], tp + ".shape[" + d + "]", 1);
                long offset = Long(Required(t, tp, "offset"), tp + ".offset", 0);
                tensors.Add(new TensorEntry(name, shape, offset, type));
            }
        }
        _spec.Weights = new WeightsSpec(file, bytes, sha, xxh, tensors);
    }

    /// <summary>The longest class label accepted (in UTF-16 code units).</summary>
    public const int MaxLabelLength = 256;

    /// <summary>
    /// Why <paramref name="label"/> cannot be a class label, or null: labels are non-empty, at most
    /// <see cref="MaxLabelLength"/> characters, without control characters or unpaired surrogates
    /// (they become C# string literals and are printed), and not surrounded by spaces.
    /// </summary>
    public static string? LabelProblem(string label)
    {
        if (label.Length == 0) return "a label must not be empty";
        if (label.Length > MaxLabelLength) return "a label may have at most " + MaxLabelLength + " characters, found " + label.Length;
        if (label.Trim().Length != label.Length) return "a label must not begin or end with white space: \"" + label + "\"";
        for (int i = 0; i < label.Length; i++)
        {
            char c = label[i];
            if (char.IsControl(c)) return "a label must not contain control characters (U+" + ((int)c).ToString("X4", CultureInfo.InvariantCulture) + " at " + (i + 1) + ")";
            if (char.IsHighSurrogate(c) && i + 1 < label.Length && char.IsLowSurrogate(label[i + 1])) { i++; continue; }
            if (char.IsSurrogate(c)) return "a label must be valid UTF-16 (an unpaired surrogate at " + (i + 1) + ")";
        }
        return null;
    }

    /// <summary>Letters, digits and '_', not starting with a digit: a model name (and file stem) that is also a C# identifier.</summary>
    public static bool IsIdentifier(string s)
    {
        if (s.Length == 0 || char.IsDigit(s[0])) return false;
        foreach (char c in s)
            if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
        return true;
    }

    /// <summary>The reserved keywords of C# (a model name becomes a class name, so none of these can be one).</summary>
    private static readonly HashSet<string> Keywords = new HashSet<string>(System.StringComparer.Ordinal)
    {
        "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const", "continue",
        "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern", "false", "finally",
        "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface", "internal", "is", "lock",
        "long", "namespace", "new", "null", "object", "operator", "out", "override", "params", "private", "protected",
        "public", "readonly", "ref", "return", "sbyte", "sealed", "short", "sizeof", "stackalloc", "static", "string",
        "struct", "switch", "this", "throw", "true", "try", "typeof", "uint", "ulong", "unchecked", "unsafe", "ushort",
        "using", "virtual", "void", "volatile", "while",
    };

    /// <summary>Whether <paramref name="s"/> is a reserved C# keyword (not usable as a class name).</summary>
    public static bool IsKeyword(string s) => Keywords.Contains(s);

    private static bool IsHex(string s, int length)
    {
        if (s.Length != length) return false;
        foreach (char c in s)
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
        return true;
    }
}
