using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using MicroNet.Aot.Model;
using MicroNet.Aot.Model.Lowering;

namespace MicroNet.Aot.Cli.Import;

/// <summary>
/// Lays out the folded tensors (forward order, little-endian float32, each at a 64-byte aligned
/// offset, zero padding between) and writes NAME.weights.bin and NAME.micronet.json atomically:
/// both go to temporary files in the output directory first and are renamed into place only when
/// complete, so a failure leaves no partial files.
/// </summary>
/// <summary>One tensor of a blob to write: its manifest entry's name, shape and type, and its bytes.</summary>
public sealed record BlobTensor(string Name, int[] Shape, TensorType Type, byte[] Data);

public static class ModelWriter
{
    public static (string JsonPath, string BlobPath) Write(ModelSpec spec, Network network, IReadOnlyList<float[]> values, string outDir)
    {
        var stored = new List<StoredTensor>(network.StoredTensors);
        var tensors = new List<BlobTensor>();
        for (int i = 0; i < stored.Count; i++)
            tensors.Add(new BlobTensor(stored[i].Name, stored[i].Shape, TensorType.Float32, MemoryMarshal.AsBytes(values[i].AsSpan()).ToArray()));
        return Write(spec, tensors, outDir);
    }

    /// <summary>Any tensors (an int8 model's int8, int32 and float32 ones), already as little-endian bytes.</summary>
    /// <param name="validate">Called with the JSON text before anything is written; throws to write nothing.</param>
    public static (string JsonPath, string BlobPath) Write(ModelSpec spec, IReadOnlyList<BlobTensor> tensors, string outDir, Action<string>? validate = null)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("the blob is written little-endian");
        var entries = new List<TensorEntry>();
        long offset = 0;
        foreach (var t in tensors)
        {
            offset = Align(offset);
            entries.Add(new TensorEntry(t.Name, t.Shape, offset, t.Type));
            offset += t.Data.Length;
        }
        var blob = new byte[offset];
        for (int i = 0; i < tensors.Count; i++)
            tensors[i].Data.CopyTo(blob.AsSpan((int)entries[i].Offset));

        string blobName = spec.Name + ".weights.bin";
        spec.Weights = new WeightsSpec(blobName, blob.LongLength, Convert.ToHexStringLower(SHA256.HashData(blob)),
            System.IO.Hashing.XxHash64.HashToUInt64(blob).ToString("x16"), entries);
        string json = ModelJsonWriter.ToJson(spec);
        validate?.Invoke(json);

        Directory.CreateDirectory(outDir);
        string jsonPath = Path.Combine(outDir, spec.Name + ".micronet.json");
        string blobPath = Path.Combine(outDir, blobName);
        string tag = ".tmp-" + Guid.NewGuid().ToString("N");
        string tmpBlob = blobPath + tag, tmpJson = jsonPath + tag;
        bool blobPlaced = false;
        try
        {
            WriteDurably(tmpBlob, blob);
            WriteDurably(tmpJson, System.Text.Encoding.UTF8.GetBytes(json));
            File.Move(tmpBlob, blobPath, overwrite: true);
            blobPlaced = true;
            File.Move(tmpJson, jsonPath, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(tmpBlob);
            TryDelete(tmpJson);
            if (blobPlaced) TryDelete(blobPath);
            throw new CliError(outDir + ": cannot write the model files (" + e.Message + "); nothing was written", e);
        }
        return (jsonPath, blobPath);
    }

    public static long Align(long offset) => (offset + ManifestValidator.Alignment - 1) / ManifestValidator.Alignment * ManifestValidator.Alignment;

    private static void WriteDurably(string path, byte[] data)
    {
        using var f = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        f.Write(data);
        f.Flush(flushToDisk: true);
    }

    private static void TryDelete(string path)
    {
        try { if (File.Exists(path)) File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
