// The model file (NAME.micronet.json) as plain values: the architecture, in the vocabulary of the
// official configuration, and the manifest of the folded weights blob. See docs/model-format.md.
using System.Collections.Generic;
using MicroNet.Aot.Model.Json;

namespace MicroNet.Aot.Model;

/// <summary>One row of the official stage table: s, n, c, ks, c1, c2, g1, g2, c3, g3, g4, y1, y2, y3, r.</summary>
public sealed class StageRow
{
    public static readonly string[] FieldNames = { "s", "n", "c", "ks", "c1", "c2", "g1", "g2", "c3", "g3", "g4", "y1", "y2", "y3", "r" };

    public StageRow(int[] values) { Values = values; }

    /// <summary>The fifteen values in <see cref="FieldNames"/> order.</summary>
    public int[] Values { get; }
    public int S => Values[0];
    public int N => Values[1];
    public int C => Values[2];
    public int Ks => Values[3];
    public int C1 => Values[4];
    public int C2 => Values[5];
    public int G1 => Values[6];
    public int G2 => Values[7];
    public int C3 => Values[8];
    public int G3 => Values[9];
    public int G4 => Values[10];
    public int Y1 => Values[11];
    public int Y2 => Values[12];
    public int Y3 => Values[13];
    public int R => Values[14];
}

/// <summary>Element type of a stored tensor (format micronet/2's <c>dtype</c>; micronet/1 stores only float32).</summary>
public enum TensorType { Float32, Int8, Int32 }

public static class TensorTypes
{
    public static int Size(TensorType t) => t == TensorType.Int8 ? 1 : 4;
    public static string Name(TensorType t) => t == TensorType.Int8 ? "int8" : t == TensorType.Int32 ? "int32" : "float32";
    public static bool TryParse(string s, out TensorType t)
    {
        switch (s)
        {
            case "float32": t = TensorType.Float32; return true;
            case "int8": t = TensorType.Int8; return true;
            case "int32": t = TensorType.Int32; return true;
            default: t = TensorType.Float32; return false;
        }
    }
}

public sealed class TensorEntry
{
    public TensorEntry(string name, int[] shape, long offset, TensorType type = TensorType.Float32)
    {
        Name = name; Shape = shape; Offset = offset; Type = type;
    }
    public string Name { get; }
    public int[] Shape { get; }
    /// <summary>Byte offset of the tensor in the blob.</summary>
    public long Offset { get; }
    public TensorType Type { get; }
}

public sealed class WeightsSpec
{
    public WeightsSpec(string file, long bytes, string sha256, string xxHash64, List<TensorEntry> tensors)
    {
        File = file; Bytes = bytes; Sha256 = sha256; XxHash64 = xxHash64; Tensors = tensors;
    }
    /// <summary>The blob's file name, relative to the JSON file.</summary>
    public string File { get; }
    public long Bytes { get; }
    /// <summary>Lower-case hexadecimal SHA-256 of the blob.</summary>
    public string Sha256 { get; }
    /// <summary>
    /// XxHash64 (seed 0) of the blob, 16 lower-case hexadecimal digits: what the Runtime checks on
    /// first use (fast, and fully managed: no OpenSSL needed on the device).
    /// </summary>
    public string XxHash64 { get; }
    public List<TensorEntry> Tensors { get; }
}

public sealed class ModelSpec
{
    public const string FormatTag = "micronet/1";
    /// <summary>Version 2 adds <c>quantization</c> and per-tensor <c>dtype</c> (int8 models); version 1 files are still read.</summary>
    public const string FormatTag2 = "micronet/2";

    public string Format { get; set; } = FormatTag;
    public string Name { get; set; } = "";
    public string? Description { get; set; }
    public int InputChannels { get; set; }
    public int InputHeight { get; set; }
    public int InputWidth { get; set; }
    public double[] Mean { get; set; } = new double[0];
    public double[] Std { get; set; } = new double[0];
    public int Classes { get; set; }
    /// <summary>Optional class labels, one per output in output order (null: the file has none).</summary>
    public string[]? Labels { get; set; }
    /// <summary>
    /// The authors' MODEL.MICRONETS.SHUFFLE (true in every published configuration). false drops the
    /// channel shuffles their blocks gate on it; the stem's shuffle and one kind-B shuffle stay (as in
    /// their code). A checkpoint has the same keys and shapes either way: only the architecture says it.
    /// </summary>
    public bool Shuffle { get; set; } = true;
    public int StemChannels { get; set; }
    public int StemGroup1 { get; set; }
    public int StemGroup2 { get; set; }
    public List<StageRow> Stages { get; set; } = new List<StageRow>();
    public int HeadChannels { get; set; }
    public double ActMax { get; set; }
    public double[] InitA { get; set; } = new double[2];
    public double[] InitB { get; set; } = new double[2];
    public double[] InitABlock3 { get; set; } = new double[2];
    public int Reduction { get; set; }
    public WeightsSpec? Weights { get; set; }
    /// <summary>The int8 quantization (format micronet/2), or null for a float model. See docs/int8.md.</summary>
    public QuantizationSpec? Quantization { get; set; }

    /// <summary>Position of every value read, keyed by its path ("stages[3].g1", "weights.tensors[5]").</summary>
    public Dictionary<string, TextPosition> Positions { get; } = new Dictionary<string, TextPosition>();

    /// <summary>The position of a path, or of its nearest ancestor that was read (else 1:1).</summary>
    public TextPosition Locate(string path)
    {
        while (true)
        {
            if (Positions.TryGetValue(path, out var p)) return p;
            int cut = System.Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
            if (cut <= 0) return Positions.TryGetValue("", out var root) ? root : new TextPosition(1, 1);
            path = path.Substring(0, cut);
        }
    }
}

/// <summary>A problem with a model file: a stable ID, a message, the JSON path and its position.</summary>
public sealed class ModelIssue
{
    public ModelIssue(string id, string message, string path, TextPosition position)
    {
        Id = id; Message = message; Path = path; Position = position;
    }
    public string Id { get; }
    public string Message { get; }
    public string Path { get; }
    public TextPosition Position { get; }

    public string Format(string file) =>
        file + "(" + Position.Line + "," + Position.Column + "): error " + Id + ": " + (Path.Length > 0 ? Path + ": " : "") + Message;

    public override string ToString() => Format("model");
}
