using System;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace MicroNet.Aot.Runtime;

/// <summary>
/// Access to a model's weights blob, embedded in the model's assembly as a manifest resource and
/// read in place: under the JIT and under NativeAOT, GetManifestResourceStream returns an
/// UnmanagedMemoryStream over the loaded image, so the floats are used where they lie, never copied.
/// </summary>
public static unsafe class WeightBlob
{
    /// <summary>
    /// Returns a pointer to the blob's first float after checking its length and SHA-256 against
    /// the model file (the hash is computed once per model and process: about 10 ms for M3's
    /// 10 MB, and it catches a blob that was swapped or truncated, which a length check alone would
    /// not). Throws <see cref="InvalidDataException"/> naming the resource on any mismatch.
    /// </summary>
    public static float* Open(Assembly assembly, string resourceName, long expectedBytes, string expectedSha256)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        using Stream stream = assembly.GetManifestResourceStream(resourceName)
            ?? throw new InvalidDataException(
                $"The weights of this MicroNet model are missing: assembly '{assembly.GetName().Name}' has no embedded resource '{resourceName}'. " +
                "Declare the model with a <MicroNetModel> item and import MicroNet.Aot.targets, which embeds the blob next to the JSON.");
        if (stream.Length != expectedBytes)
            throw new InvalidDataException(
                $"The embedded weights '{resourceName}' have {stream.Length} bytes but the model file says {expectedBytes}: the blob does not belong to this model file. Re-run 'micronet import'.");

        byte* data;
        if (stream is UnmanagedMemoryStream unmanaged)
        {
            data = unmanaged.PositionPointer;
        }
        else
        {
            // Resources that are not mapped (unusual hosts): one aligned native copy, kept for the process.
            data = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(expectedBytes, 1), 64);
            stream.ReadExactly(new Span<byte>(data, checked((int)expectedBytes)));
        }

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(new ReadOnlySpan<byte>(data, checked((int)expectedBytes)), hash);
        string actual = Convert.ToHexString(hash);
        if (!actual.Equals(expectedSha256, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException(
                $"The embedded weights '{resourceName}' have SHA-256 {actual.ToLowerInvariant()} but the model file says {expectedSha256}: the blob was changed or belongs to another model. Re-run 'micronet import'.");
        return (float*)data;
    }
}
