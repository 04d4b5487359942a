using System;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;

namespace MicroNet.Aot.Runtime;

/// <summary>
/// Access to a model's weights blob, embedded in the model's assembly as a manifest resource and
/// read in place: under the JIT and under NativeAOT, GetManifestResourceStream returns an
/// UnmanagedMemoryStream over the loaded image, so the floats are used where they lie, never copied.
/// </summary>
/// <remarks>Called by the generated model classes; not a user API (hidden from IntelliSense), and its signatures may change between versions.</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static unsafe class WeightBlob
{
    /// <summary>
    /// Returns a pointer to the blob's first float after checking its length and XxHash64 against
    /// the model file. The hash runs once per model and process (about 1 ms for M3's 10 MB) and
    /// catches a blob that was swapped or altered, which a length check alone would not; XxHash64
    /// rather than the file's SHA-256 because it is fast and fully managed (SHA-256 needs OpenSSL
    /// on Linux, which many boards lack). Throws <see cref="InvalidDataException"/> naming the
    /// resource on any mismatch.
    /// </summary>
    /// <param name="assembly">The assembly the blob is embedded in (the generated class's).</param>
    /// <param name="resourceName">The manifest resource's name (MicroNet.Aot.targets gives it: MicroNet.Aot.Weights.NAME).</param>
    /// <param name="expectedBytes">The blob's length from the model file.</param>
    /// <param name="expectedXxHash64">The blob's XxHash64 from the model file.</param>
    /// <returns>The blob's first float, valid for the life of the process.</returns>
    /// <exception cref="InvalidDataException">The resource is missing, or its length or hash differs.</exception>
    public static float* Open(Assembly assembly, string resourceName, long expectedBytes, ulong expectedXxHash64)
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

        ulong actual = System.IO.Hashing.XxHash64.HashToUInt64(new ReadOnlySpan<byte>(data, checked((int)expectedBytes)));
        if (actual != expectedXxHash64)
            throw new InvalidDataException(
                $"The embedded weights '{resourceName}' have XxHash64 {actual:x16} but the model file says {expectedXxHash64:x16}: the blob was changed or belongs to another model. Re-run 'micronet import'.");
        return (float*)data;
    }
}
