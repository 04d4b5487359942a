using System;
using System.IO;
using System.IO.Compression;

namespace MicroNet.Samples.Fashion;

/// <summary>The IDX format of (Fashion-)MNIST: a big-endian header, then bytes; gzip or raw.</summary>
public static class Idx
{
    public static byte[] Read(string path, int expectedMagic, out int count, out int rows, out int cols)
    {
        byte[] raw = File.ReadAllBytes(path);
        if (raw.Length >= 2 && raw[0] == 0x1f && raw[1] == 0x8b)
        {
            using var gz = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
            using var ms = new MemoryStream();
            gz.CopyTo(ms);
            raw = ms.ToArray();
        }
        int header = expectedMagic == 2051 ? 16 : 8;
        if (raw.Length < header) throw new InvalidDataException($"{path}: too short for an IDX header");
        int magic = BigEndian(raw, 0);
        if (magic != expectedMagic)
            throw new InvalidDataException($"{path}: IDX magic {magic}, expected {expectedMagic} ({(expectedMagic == 2051 ? "images" : "labels")})");
        count = BigEndian(raw, 4);
        rows = expectedMagic == 2051 ? BigEndian(raw, 8) : 1;
        cols = expectedMagic == 2051 ? BigEndian(raw, 12) : 1;
        long needed = header + (long)count * rows * cols;
        if (count < 0 || rows <= 0 || cols <= 0 || raw.Length < needed)
            throw new InvalidDataException($"{path}: the header announces {count} items of {rows}x{cols} but the file has {raw.Length - header} data bytes");
        return raw.AsSpan(header, (int)(needed - header)).ToArray();
    }

    private static int BigEndian(byte[] b, int at) => (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];
}
