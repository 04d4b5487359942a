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
    public static Checkpoint Read(string path, long maxBytes = 4L << 30)
    {
        long fileBytes = new FileInfo(path).Length;
        if (fileBytes > maxBytes) throw new CliError(path + ": " + fileBytes + " bytes, more than the architecture's tensors can need (" + maxBytes + ")");
        byte[] data = File.ReadAllBytes(path);
        if (data.Length < 8) throw new CliError(path + ": truncated safetensors file (" + data.Length + " bytes, shorter than the 8-byte header length)");
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
        var extents = new List<(long Begin, long End, string Name)>();
        using (doc)
        try
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
                    if (tensors.ContainsKey(p.Name)) throw new CliError(where + ": given twice in the header");
                    var shapeList = new List<int>();
                    foreach (var d in v.GetProperty("shape").EnumerateArray())
                    {
                        int dim = d.GetInt32();
                        if (dim < 0) throw new CliError(where + ": negative dimension " + dim);
                        shapeList.Add(dim);
                    }
                    var offsets = v.GetProperty("data_offsets");
                    if (offsets.GetArrayLength() != 2) throw new CliError(where + ": data_offsets must be [begin, end]");
                    long begin = offsets[0].GetInt64(), end = offsets[1].GetInt64();
                    int[] shape = shapeList.ToArray();
                    long elements = 1;
                    foreach (int d in shape) elements = checked(elements * d);
                    if (begin < 0 || end < begin || end > body.Length || end - begin != checked(elements * DTypes.Size(dtype)))
                        throw new CliError(where + ": data_offsets [" + begin + ", " + end + "] do not fit its shape and the file (" + body.Length + " data bytes)");
                    tensors[p.Name] = new RawTensor(dtype, body.Slice((int)begin, (int)(end - begin)), 0, shape, RawTensor.ContiguousStrides(shape));
                    extents.Add((begin, end, p.Name));
                }
                catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or IndexOutOfRangeException or OverflowException)
                {
                    throw new CliError(where + ": malformed header entry (" + e.Message + ")", e);
                }
            }
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // a key that is not valid UTF-8, and the like: System.Text.Json refuses to decode it
            throw new CliError(path + ": the safetensors header cannot be decoded (" + e.Message + ")", e);
        }
        // as the safetensors library: the tensors' byte ranges may not overlap
        extents.Sort((a, b) => a.Begin.CompareTo(b.Begin));
        for (int i = 1; i < extents.Count; i++)
            if (extents[i].Begin < extents[i - 1].End)
                throw new CliError(path + ": tensors '" + extents[i - 1].Name + "' and '" + extents[i].Name + "' overlap in the data (bytes " + extents[i].Begin + ".." + extents[i - 1].End + ")");
        return new Checkpoint("safetensors", tensors, new List<string>());
    }
}
