using System;
using System.IO;
using System.Security.Cryptography;
using MicroNet.Aot.Model;

namespace MicroNet.Aot.Cli;

/// <summary>The weights blob a model file names, read and checked (length, SHA-256, XxHash64).</summary>
public static class ModelFiles
{
    public static byte[] ReadVerifiedBlob(ModelSpec spec, string jsonPath, string display)
    {
        var w = spec.Weights ?? throw new CliError(display + ": has no weights section (an architecture file, not a model)");
        string blobPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(jsonPath)) ?? ".", w.File);
        if (!File.Exists(blobPath))
            throw new CliError(display + ": error " + IssueIds.MissingWeights + ": the weights file '" + w.File + "' named by weights.file does not exist (" + blobPath + ")");
        var blob = File.ReadAllBytes(blobPath);
        if (blob.LongLength != w.Bytes)
            throw new CliError(blobPath + ": error " + IssueIds.WeightsMismatch + ": the file has " + blob.LongLength + " bytes but weights.bytes in " + display + " says " + w.Bytes);
        string sha = Convert.ToHexStringLower(SHA256.HashData(blob));
        if (sha != w.Sha256)
            throw new CliError(blobPath + ": error " + IssueIds.WeightsMismatch + ": SHA-256 " + sha + " differs from weights.sha256 " + w.Sha256 + " in " + display + " (the blob was changed or belongs to another model)");
        string xxh = System.IO.Hashing.XxHash64.HashToUInt64(blob).ToString("x16");
        if (xxh != w.XxHash64)
            throw new CliError(blobPath + ": error " + IssueIds.WeightsMismatch + ": XxHash64 " + xxh + " differs from weights.xxhash64 " + w.XxHash64 + " in " + display);
        return blob;
    }
}
