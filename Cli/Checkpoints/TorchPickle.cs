using System;
using System.Collections;
using System.Collections.Generic;
using Razorvine.Pickle;

namespace MicroNet.Aot.Cli.Checkpoints;

/// <summary>A storage the pickle refers to by persistent id ("storage", type, key, location, numel).</summary>
public sealed class StorageRef
{
    public StorageRef(DType dtype, string key, long elements) { DType = dtype; Key = key; Elements = elements; }
    public DType DType { get; }
    public string Key { get; }
    public long Elements { get; }
}

/// <summary>What _rebuild_tensor_v2 receives: a view of a storage, resolved to bytes later.</summary>
public sealed class TensorRef
{
    public TensorRef(StorageRef storage, long offset, int[] shape, long[] strides)
    {
        Storage = storage; Offset = offset; Shape = shape; Strides = strides;
    }
    public StorageRef Storage { get; }
    public long Offset { get; }
    public int[] Shape { get; }
    public long[] Strides { get; }
}

/// <summary>collections.OrderedDict. BUILD gives it its instance dict (a state_dict's _metadata), which is dropped.</summary>
public sealed class PickledOrderedDict : Hashtable
{
    public void __setstate__(Hashtable state) { }
}

/// <summary>
/// Decodes a PyTorch pickle with Razorvine.Pickle, after <see cref="PickleGuard"/> has vetted it:
/// the allowed globals get constructors that build plain descriptions (no Python semantics run).
/// </summary>
public sealed class TorchUnpickler : Unpickler
{
    private static readonly Dictionary<string, DType> StorageTypes = new()
    {
        ["FloatStorage"] = DType.Float32, ["DoubleStorage"] = DType.Float64, ["HalfStorage"] = DType.Float16,
        ["BFloat16Storage"] = DType.BFloat16, ["LongStorage"] = DType.Int64, ["IntStorage"] = DType.Int32,
        ["ShortStorage"] = DType.Int16, ["CharStorage"] = DType.Int8, ["ByteStorage"] = DType.UInt8,
        ["BoolStorage"] = DType.Bool,
    };

    private readonly string _where;

    static TorchUnpickler()
    {
        // Razorvine's constructor registry is process-wide; these registrations are idempotent.
        registerConstructor("collections", "OrderedDict", new Constructor(_ => new PickledOrderedDict()));
        registerConstructor("torch._utils", "_rebuild_tensor_v2", new Constructor(RebuildTensor));
        registerConstructor("torch._utils", "_rebuild_parameter", new Constructor(args => args.Length > 0 ? args[0] : null));
        foreach (var (name, dtype) in StorageTypes)
            registerConstructor("torch", name, new StorageType(dtype));
    }

    public TorchUnpickler(string where) { _where = where; }

    /// <summary>Vets and decodes the pickle that starts at <paramref name="start"/>; <paramref name="end"/> is just past it.</summary>
    public static object? Decode(byte[] data, int start, out int end, string where)
    {
        end = PickleGuard.Scan(data, start, where);
        using var u = new TorchUnpickler(where);
        try
        {
            // Razorvine reads a ReadOnlyMemory from its array's start, ignoring the offset: hand it a copy.
            byte[] pickle = start == 0 && end == data.Length ? data : data.AsSpan(start, end - start).ToArray();
            return u.loads(pickle);
        }
        catch (CliError) { throw; }
        catch (Exception e) when (e is PickleException or InvalidCastException or IndexOutOfRangeException or ArgumentException or InvalidOperationException or KeyNotFoundException
            or FormatException or OverflowException or NullReferenceException or System.Text.DecoderFallbackException)
        {
            throw new CliError(where + ": the pickle is malformed: " + e.Message, e);
        }
    }

    protected override object persistentLoad(object pid)
    {
        // ("storage", storage_type, key, location, numel)
        if (pid is object[] t && t.Length >= 5 && t[0] is string tag && tag == "storage" && t[1] is StorageType type)
        {
            string key = Convert.ToString(t[2], System.Globalization.CultureInfo.InvariantCulture) ?? "";
            return new StorageRef(type.DType, key, Convert.ToInt64(t[4], System.Globalization.CultureInfo.InvariantCulture));
        }
        throw new CliError(_where + ": unsupported persistent id in the pickle (expected a torch storage reference)");
    }

    private static object RebuildTensor(object[] args)
    {
        // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
        if (args.Length < 4 || args[0] is not StorageRef storage)
            throw new InvalidOperationException("_rebuild_tensor_v2 called with unexpected arguments");
        long offset = Convert.ToInt64(args[1], System.Globalization.CultureInfo.InvariantCulture);
        var size = ToLongs(args[2]);
        var stride = ToLongs(args[3]);
        if (size.Length != stride.Length) throw new InvalidOperationException("tensor size and stride differ in length");
        var shape = new int[size.Length];
        for (int i = 0; i < size.Length; i++)
        {
            if (size[i] < 0 || size[i] > int.MaxValue) throw new InvalidOperationException("invalid tensor dimension " + size[i]);
            shape[i] = (int)size[i];
        }
        return new TensorRef(storage, offset, shape, stride);
    }

    private static long[] ToLongs(object? o)
    {
        if (o is not IEnumerable items || o is string) throw new InvalidOperationException("expected a tuple of integers");
        var list = new List<long>();
        foreach (var x in items) list.Add(Convert.ToInt64(x, System.Globalization.CultureInfo.InvariantCulture));
        return list.ToArray();
    }

    private sealed class Constructor : IObjectConstructor
    {
        private readonly Func<object[], object?> _make;
        public Constructor(Func<object[], object?> make) { _make = make; }
        public object construct(object[] args) => _make(args)!;
    }

    /// <summary>A torch.*Storage class: only ever appears inside a persistent id.</summary>
    private sealed class StorageType : IObjectConstructor
    {
        public StorageType(DType dtype) { DType = dtype; }
        public DType DType { get; }
        public object construct(object[] args) => throw new InvalidOperationException("a storage class cannot be called");
    }
}
