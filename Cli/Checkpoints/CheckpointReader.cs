using System;
using System.Buffers.Binary;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;

namespace MicroNet.Aot.Cli.Checkpoints;

/// <summary>A checkpoint's tensors by key, exactly as stored (prefixes not yet removed).</summary>
public sealed class Checkpoint
{
    public Checkpoint(string format, Dictionary<string, RawTensor> tensors, List<string> ignored)
    {
        Format = format; Tensors = tensors; Ignored = ignored;
    }
    /// <summary>"torch zip", "torch legacy" or "safetensors".</summary>
    public string Format { get; }
    public Dictionary<string, RawTensor> Tensors { get; }
    /// <summary>Top-level entries of a training checkpoint other than its state_dict (epoch, optimizer, ...).</summary>
    public List<string> Ignored { get; }
}

/// <summary>
/// Reads what the official main.py accepts as --weight: a torch.save file holding a state_dict, or a
/// dict holding one under "state_dict"; plus .safetensors files. Never executes anything from the
/// file: pickles are vetted by <see cref="PickleGuard"/> and decoded into plain descriptions.
/// </summary>
public static class CheckpointReader
{
    private static readonly byte[] ZipMagic = { (byte)'P', (byte)'K', 3, 4 };

    /// <summary>Most bytes a data.pkl or byteorder entry may inflate to (a state_dict's pickle is kilobytes).</summary>
    public const long MaxPickleBytes = 64L << 20;

    /// <summary>
    /// Reads the checkpoint. <paramref name="maxStorageBytes"/> bounds the tensor data read in all
    /// (the importer passes what the architecture's tensors can need), so a file that declares or
    /// inflates to more is refused before the memory is taken.
    /// </summary>
    public static Checkpoint Read(string path, Action<string>? progress = null, long maxStorageBytes = 4L << 30)
    {
        if (Directory.Exists(path)) throw new CliError(path + ": a directory, not a checkpoint file");
        if (!File.Exists(path)) throw new CliError(path + ": no such file");
        var info = new FileInfo(path);
        if (info.Length < 8) throw new CliError(path + ": the file is too short (" + info.Length + " bytes) to be a checkpoint");
        var head = new byte[8];
        using (var f = File.OpenRead(path)) f.ReadExactly(head);
        if (head.AsSpan(0, 4).SequenceEqual(ZipMagic)) return ReadTorchZip(path, progress, maxStorageBytes);
        if (head[0] == 0x80) return ReadTorchLegacy(path, progress, maxStorageBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(head);
        if (headerLength > 1 && headerLength < (ulong)info.Length && ReadByteAt(path, 8) == (byte)'{')
            return SafetensorsReader.Read(path, maxStorageBytes + MaxPickleBytes);
        throw new CliError(path + ": not a checkpoint: expected a torch.save file (zip, or the legacy pickle format) or a .safetensors file");
    }

    private static byte ReadByteAt(string path, long offset)
    {
        using var f = File.OpenRead(path);
        f.Position = offset;
        int b = f.ReadByte();
        return (byte)(b < 0 ? 0 : b);
    }

    // --- torch.save zip (PyTorch >= 1.6 default) -------------------------------------------------

    private static Checkpoint ReadTorchZip(string path, Action<string>? progress, long maxStorageBytes)
    {
        try
        {
            return ReadTorchZipArchive(path, progress, maxStorageBytes);
        }
        catch (Exception e) when (e is InvalidDataException or IOException and not FileNotFoundException and not DirectoryNotFoundException)
        {
            // ZipArchive reads its central directory and local headers lazily (Entries, Open): a
            // corrupt directory, entry count or header offset surfaces there, not in OpenRead
            throw new CliError(path + ": the zip archive is truncated or corrupt (" + e.Message + ")", e);
        }
    }

    private static Checkpoint ReadTorchZipArchive(string path, Action<string>? progress, long maxStorageBytes)
    {
        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException e)
        {
            throw new CliError(path + ": the zip archive is truncated or corrupt (" + e.Message + ")", e);
        }
        using (zip)
        {
            var pklEntries = zip.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1).ToList();
            if (pklEntries.Count != 1)
                throw new CliError(path + ": not a torch.save archive: expected exactly one <name>/data.pkl entry, found " + pklEntries.Count);
            string prefix = pklEntries[0].FullName[..^"data.pkl".Length];
            var byteorder = zip.GetEntry(prefix + "byteorder");
            if (byteorder != null)
            {
                string order = Encoding.ASCII.GetString(ReadEntry(byteorder, path, Math.Min(byteorder.Length, 64), exact: false)).Trim();
                if (order != "little") throw new CliError(path + ": the checkpoint was saved on a " + order + "-endian machine; only little-endian is supported");
            }
            if (pklEntries[0].Length > MaxPickleBytes)
                throw new CliError(path + ": " + pklEntries[0].FullName + " declares " + pklEntries[0].Length + " bytes, more than a state_dict's pickle can need (" + MaxPickleBytes + ")");
            byte[] pickle = ReadEntry(pklEntries[0], path, pklEntries[0].Length, exact: true);
            object? root = TorchUnpickler.Decode(pickle, 0, out _, path + " (" + pklEntries[0].FullName + ")");
            var (state, ignored) = Unwrap(root, path);
            var storages = new Dictionary<string, byte[]>();
            var tensors = new Dictionary<string, RawTensor>(StringComparer.Ordinal);
            long total = state.Select(t => t.Value.Storage.Key).Distinct().Count();
            int done = 0;
            long budget = maxStorageBytes;
            foreach (var (key, tref) in state)
            {
                if (!storages.TryGetValue(tref.Storage.Key, out var bytes))
                {
                    var entry = zip.GetEntry(prefix + "data/" + tref.Storage.Key)
                        ?? throw new CliError(path + ": the archive lacks the storage data/" + tref.Storage.Key + " of tensor '" + key + "' (truncated archive?)");
                    // read exactly the storage the pickle declares (numel x element size), within the budget
                    long expected = StorageBytes(tref.Storage, key, path);
                    if (expected > budget)
                        throw new CliError(path + ": storage data/" + tref.Storage.Key + " of tensor '" + key + "' declares " + expected +
                            " bytes, more than the architecture's tensors can need in all (" + maxStorageBytes + ")");
                    if (entry.Length != expected)
                        throw new CliError(path + ": the zip entry " + entry.FullName + " holds " + entry.Length + " bytes but its storage declares " + expected + " (tensor '" + key + "')");
                    bytes = ReadEntry(entry, path, expected, exact: true);
                    budget -= expected;
                    storages[tref.Storage.Key] = bytes;
                    done++;
                    if (progress != null && total >= 50 && done % Math.Max(1, total / 10) == 0)
                        progress("read " + done + "/" + total + " storages");
                }
                tensors[key] = Make(key, tref, bytes, path);
            }
            return new Checkpoint("torch zip", tensors, ignored);
        }
    }

    /// <summary>A storage's size in bytes (numel x element size), refused when it is negative or overflows.</summary>
    private static long StorageBytes(StorageRef storage, string key, string path)
    {
        if (storage.Elements < 0 || storage.Elements > long.MaxValue / 8)
            throw new CliError(path + ": the storage of tensor '" + key + "' declares " + storage.Elements + " elements");
        return storage.Elements * DTypes.Size(storage.DType);
    }

    /// <summary>
    /// Exactly <paramref name="bytes"/> bytes of the entry (with <paramref name="exact"/>, refusing an
    /// entry that inflates to more or less): never more memory than the caller's bound, whatever the
    /// directory or the compressed stream claim.
    /// </summary>
    private static byte[] ReadEntry(ZipArchiveEntry entry, string path, long bytes, bool exact)
    {
        if (bytes > Array.MaxLength) throw new CliError(path + ": the zip entry " + entry.FullName + " is too large (" + bytes + " bytes)");
        try
        {
            using var s = entry.Open();
            var buffer = new byte[bytes];
            s.ReadExactly(buffer);
            if (exact && s.ReadByte() >= 0) throw new InvalidDataException("it inflates to more than its declared " + bytes + " bytes");
            return buffer;
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw new CliError(path + ": the zip entry " + entry.FullName + " is corrupt (" + e.Message + ")", e);
        }
    }

    // --- legacy torch.save (before PyTorch 1.6, or _use_new_zipfile_serialization=False) ---------

    private static Checkpoint ReadTorchLegacy(string path, Action<string>? progress, long maxStorageBytes)
    {
        long fileBytes = new FileInfo(path).Length;
        if (fileBytes > maxStorageBytes + MaxPickleBytes)
            throw new CliError(path + ": " + fileBytes + " bytes, more than the architecture's tensors can need (" + maxStorageBytes + " bytes of storage)");
        byte[] data = File.ReadAllBytes(path);
        int pos = 0;
        object? Next(string what)
        {
            var o = TorchUnpickler.Decode(data, pos, out int end, path + " (" + what + ")");
            pos = end;
            return o;
        }
        object? magic = Next("magic number");
        if (magic?.ToString() != "119547037146038801333356")
            throw new CliError(path + ": a pickle, but not a torch.save file (wrong magic number)");
        object? protocol = Next("protocol version");
        if (protocol?.ToString() != "1001") throw new CliError(path + ": unsupported legacy torch.save protocol " + protocol);
        if (Next("system info") is IDictionary sys && sys["little_endian"] is bool little && !little)
            throw new CliError(path + ": the checkpoint was saved on a big-endian machine; only little-endian is supported");
        object? root = Next("data");
        if (Next("storage keys") is not IList keys) throw new CliError(path + ": the legacy storage key list is missing or malformed");
        var (state, ignored) = Unwrap(root, path);
        var types = state.GroupBy(t => t.Value.Storage.Key).ToDictionary(g => g.Key, g => g.First().Value.Storage.DType);
        var storages = new Dictionary<string, byte[]>();
        foreach (var k in keys)
        {
            string key = Convert.ToString(k, System.Globalization.CultureInfo.InvariantCulture) ?? "";
            if (pos + 8 > data.Length) throw new CliError(path + ": truncated: storage " + key + " is missing");
            long count = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(pos));
            pos += 8;
            int size = types.TryGetValue(key, out var dt) ? DTypes.Size(dt) : 4;
            // count * size and pos + bytes checked against what is left of the file (no overflow)
            if (count < 0 || count > (data.Length - pos) / size) throw new CliError(path + ": truncated: storage " + key + " (" + count + " elements) runs past the end of the file");
            long bytes = count * size;
            storages[key] = data.AsSpan(pos, (int)bytes).ToArray();
            pos += (int)bytes;
        }
        progress?.Invoke("read " + storages.Count + " storages (legacy format)");
        var tensors = new Dictionary<string, RawTensor>(StringComparer.Ordinal);
        foreach (var (key, tref) in state)
        {
            if (!storages.TryGetValue(tref.Storage.Key, out var bytes))
                throw new CliError(path + ": the storage of tensor '" + key + "' is missing from the file");
            tensors[key] = Make(key, tref, bytes, path);
        }
        return new Checkpoint("torch legacy", tensors, ignored);
    }

    // --- shared ----------------------------------------------------------------------------------

    /// <summary>The state_dict inside the pickle's root object, as main.py finds it.</summary>
    private static (List<KeyValuePair<string, TensorRef>> State, List<string> Ignored) Unwrap(object? root, string path)
    {
        if (root is not IDictionary dict)
            throw new CliError(path + ": the checkpoint holds " + Describe(root) + ", not a state_dict (a dict of tensors)");
        var ignored = new List<string>();
        if (dict.Contains("state_dict"))
        {
            foreach (var k in dict.Keys) if (!Equals(k, "state_dict")) ignored.Add(Convert.ToString(k, System.Globalization.CultureInfo.InvariantCulture) ?? "?");
            if (dict["state_dict"] is not IDictionary inner)
                throw new CliError(path + ": the entry 'state_dict' holds " + Describe(dict["state_dict"]) + ", not a dict of tensors");
            dict = inner;
        }
        var state = new List<KeyValuePair<string, TensorRef>>();
        foreach (DictionaryEntry e in dict)
        {
            if (e.Key is not string key) throw new CliError(path + ": the state_dict has a non-string key " + Describe(e.Key));
            if (e.Value is not TensorRef t)
                throw new CliError(path + ": state_dict entry '" + key + "' holds " + Describe(e.Value) + ", not a tensor");
            state.Add(new(key, t));
        }
        state.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        return (state, ignored);
    }

    private static RawTensor Make(string key, TensorRef t, byte[] storage, string path)
    {
        var raw = new RawTensor(t.Storage.DType, storage, t.Offset, t.Shape, t.Strides);
        string? problem = raw.CheckBounds();
        if (problem != null) throw new CliError(path + ": tensor '" + key + "': " + problem);
        return raw;
    }

    private static string Describe(object? o) => o switch
    {
        null => "None",
        string s => "the string '" + s + "'",
        IDictionary => "a dict",
        IList => "a list",
        TensorRef => "a tensor",
        _ => "a " + o.GetType().Name,
    };
}
