using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;

namespace MicroNet.Aot.Cli.Checkpoints;

/// <summary>
/// Reads a .safetensors file: an 8-byte little-endian header length, a JSON header
/// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}, then the data.
/// (Small enough to read directly; the header is parsed with System.Text.Json.)
/// </summary>
public static class SafetensorsReader
{
    public static Checkpoint Read(string path)
    {
        byte[] data = File.ReadAllBytes(path);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(data);
        if (n > (ulong)(data.Length - 8)) throw new CliError(path + ": truncated safetensors file (the header runs past the end)");
        var body = new ReadOnlyMemory<byte>(data, 8 + (int)n, data.Length - 8 - (int)n);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(new ReadOnlyMemory<byte>(data, 8, (int)n));
        }
        catch (JsonException e)
        {
            throw new CliError(path + ": the safetensors header is not valid JSON (" + e.Message + ")", e);
        }
        var tensors = new Dictionary<string, RawTensor>(StringComparer.Ordinal);
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new CliError(path + ": the safetensors header is not a JSON object");
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Name == "__metadata__") continue;
                string where = path + ": tensor '" + p.Name + "'";
                try
                {
                    var v = p.Value;
                    DType dtype = v.GetProperty("dtype").GetString() switch
                    {
                        "F32" => DType.Float32, "F64" => DType.Float64, "F16" => DType.Float16, "BF16" => DType.BFloat16,
                        "I64" => DType.Int64, "I32" => DType.Int32, "I16" => DType.Int16, "I8" => DType.Int8, "U8" => DType.UInt8,
                        "BOOL" => DType.Bool,
                        var other => throw new CliError(where + ": unsupported dtype " + other),
                    };
                    var shapeList = new List<int>();
                    foreach (var d in v.GetProperty("shape").EnumerateArray()) shapeList.Add(d.GetInt32());
                    var offsets = v.GetProperty("data_offsets");
                    long begin = offsets[0].GetInt64(), end = offsets[1].GetInt64();
                    int[] shape = shapeList.ToArray();
                    long elements = 1;
                    foreach (int d in shape) elements *= d;
                    if (begin < 0 || end < begin || end > body.Length || end - begin != elements * DTypes.Size(dtype))
                        throw new CliError(where + ": data_offsets [" + begin + ", " + end + "] do not fit its shape and the file (" + body.Length + " data bytes)");
                    tensors[p.Name] = new RawTensor(dtype, body.Slice((int)begin, (int)(end - begin)), 0, shape, RawTensor.ContiguousStrides(shape));
                }
                catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or IndexOutOfRangeException)
                {
                    throw new CliError(where + ": malformed header entry (" + e.Message + ")", e);
                }
            }
        }
        return new Checkpoint("safetensors", tensors, new List<string>());
    }
}
