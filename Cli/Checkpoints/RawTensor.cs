using System;
using System.Buffers.Binary;

namespace MicroNet.Aot.Cli.Checkpoints;

public enum DType { Float32, Float64, Float16, BFloat16, Int64, Int32, Int16, Int8, UInt8, Bool }

public static class DTypes
{
    public static int Size(DType t) => t switch
    {
        DType.Float64 or DType.Int64 => 8,
        DType.Float32 or DType.Int32 => 4,
        DType.Float16 or DType.BFloat16 or DType.Int16 => 2,
        _ => 1,
    };

    public static bool IsFloat(DType t) => t is DType.Float32 or DType.Float64 or DType.Float16 or DType.BFloat16;
}

/// <summary>
/// A tensor as a checkpoint stores it: a typed view (offset, shape, strides in elements) of a
/// little-endian storage buffer. Nothing is converted until <see cref="ToDoubles"/>.
/// </summary>
public sealed class RawTensor
{
    public RawTensor(DType dtype, ReadOnlyMemory<byte> storage, long offset, int[] shape, long[] strides)
    {
        DType = dtype; Storage = storage; Offset = offset; Shape = shape; Strides = strides;
    }

    public DType DType { get; }
    public ReadOnlyMemory<byte> Storage { get; }
    public long Offset { get; }
    public int[] Shape { get; }
    public long[] Strides { get; }

    public long Elements
    {
        get { long n = 1; foreach (int d in Shape) n *= d; return n; }
    }

    public static long[] ContiguousStrides(int[] shape)
    {
        var strides = new long[shape.Length];
        long s = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { strides[i] = s; s *= shape[i]; }
        return strides;
    }

    /// <summary>
    /// Checks that every element the view addresses lies inside the storage; returns a message
    /// naming what is wrong, or null.
    /// </summary>
    public string? CheckBounds()
    {
        if (Offset < 0) return "negative storage offset " + Offset;
        if (Shape.Length != Strides.Length) return "shape " + Shape.Length + "-dimensional but strides " + Strides.Length + "-dimensional";
        // every product and sum checked: a huge offset or stride must be refused, not wrap around to a valid-looking index
        try
        {
            long last = Offset;
            long elements = 1;
            for (int i = 0; i < Shape.Length; i++)
            {
                if (Shape[i] < 0) return "negative dimension " + Shape[i];
                if (Shape[i] == 0) return null;
                if (Strides[i] < 0) return "negative stride " + Strides[i];
                last = checked(last + (Shape[i] - 1L) * Strides[i]);
                elements = checked(elements * Shape[i]);
            }
            long needed = checked((last + 1) * DTypes.Size(DType));
            if (needed > Storage.Length)
                return "the tensor needs " + needed + " bytes of storage but the file holds " + Storage.Length;
            if (elements > int.MaxValue / 8) return "the tensor has " + elements + " elements, more than an import can hold";
            return null;
        }
        catch (OverflowException)
        {
            return "its offset and strides (offset " + Offset + ", strides [" + string.Join(", ", Strides) + "]) address past any storage (the sizes overflow 64 bits)";
        }
    }

    public double[] ToDoubles()
    {
        if (!DTypes.IsFloat(DType)) throw new InvalidOperationException("not a floating-point tensor: " + DType);
        var result = new double[Elements];
        var bytes = Storage.Span;
        int size = DTypes.Size(DType);
        var index = new int[Shape.Length];
        for (long n = 0; n < result.Length; n++)
        {
            long element = Offset;
            for (int d = 0; d < Shape.Length; d++) element += index[d] * Strides[d];
            var src = bytes.Slice((int)(element * size), size);
            result[n] = DType switch
            {
                DType.Float32 => BinaryPrimitives.ReadSingleLittleEndian(src),
                DType.Float64 => BinaryPrimitives.ReadDoubleLittleEndian(src),
                DType.Float16 => (double)BinaryPrimitives.ReadHalfLittleEndian(src),
                _ => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(src) << 16), // bfloat16
            };
            for (int d = Shape.Length - 1; d >= 0; d--)
            {
                if (++index[d] < Shape[d]) break;
                index[d] = 0;
            }
        }
        return result;
    }
}
