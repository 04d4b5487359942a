using System;
using System.IO;
using MicroNet.Aot.Model;

namespace MicroNet.Aot.Cli.Quantize;

/// <summary>
/// A calibration file: N normalized inputs of C x H x W little-endian float32 values each (NCHW,
/// back to back, no header), read one input at a time. Every value is checked (finite) before it is
/// used; the length must be a whole, non-zero number of inputs.
/// </summary>
public sealed class CalibrationFile
{
    public CalibrationFile(string path, ModelSpec spec, int? samples)
    {
        Path = path;
        InputLength = spec.InputChannels * spec.InputHeight * spec.InputWidth;
        _spec = spec;
        if (!File.Exists(path)) throw new CliError(path + ": no such calibration file");
        long bytes = new FileInfo(path).Length;
        long inputBytes = 4L * InputLength;
        string shape = spec.InputChannels + "x" + spec.InputHeight + "x" + spec.InputWidth;
        if (bytes == 0)
            throw new CliError(path + ": the calibration file is empty; it must hold N " + shape + " float32 inputs (" + inputBytes.ToString("N0") + " bytes each)");
        if (bytes % inputBytes != 0)
            throw new CliError(path + ": " + bytes.ToString("N0") + " bytes is not a whole number of " + shape + " float32 inputs (" +
                inputBytes.ToString("N0") + " bytes each): " + (bytes / inputBytes) + " inputs and " + (bytes % inputBytes) + " bytes left over");
        Available = (int)Math.Min(int.MaxValue, bytes / inputBytes);
        if (samples is int n)
        {
            if (n < 1) throw new CliError("--samples " + n + ": must be at least 1");
            if (n > Available) throw new CliError("--samples " + n + ": " + path + " holds only " + Available + " inputs");
            Count = n;
        }
        else Count = Available;
    }

    private readonly ModelSpec _spec;
    public string Path { get; }
    public int InputLength { get; }
    public int Available { get; }
    /// <summary>The inputs used: the first <c>--samples</c> (all by default).</summary>
    public int Count { get; }

    /// <summary>Calls <paramref name="each"/> with every input used, in file order (one buffer, reused).</summary>
    public void ForEach(Action<int, float[]> each)
    {
        var buffer = new float[InputLength];
        var bytes = new byte[4 * InputLength];
        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        for (int n = 0; n < Count; n++)
        {
            stream.ReadExactly(bytes);
            for (int i = 0; i < InputLength; i++)
            {
                float v = BitConverter.ToSingle(bytes, 4 * i);
                if (!float.IsFinite(v))
                {
                    int plane = _spec.InputHeight * _spec.InputWidth;
                    throw new CliError(Path + ": input " + n + ", value " + i + " (channel " + i / plane + ", row " + i % plane / _spec.InputWidth +
                        ", column " + i % _spec.InputWidth + ", byte offset " + (4L * ((long)n * InputLength + i)) + ") is " + v.ToString(System.Globalization.CultureInfo.InvariantCulture) +
                        ": calibration inputs must be finite");
                }
                buffer[i] = v;
            }
            each(n, buffer);
        }
    }
}

/// <summary>What calibration sees of one tensor: its extremes, then (percentile method) a histogram between them.</summary>
public sealed class RangeObserver
{
    public const int Bins = 4096;
    public double Min { get; private set; } = double.PositiveInfinity;
    public double Max { get; private set; } = double.NegativeInfinity;
    private long[]? _histogram;
    private long _count;

    public void ObserveExtremes(float[] values)
    {
        double lo = Min, hi = Max;
        foreach (float v in values) { if (v < lo) lo = v; if (v > hi) hi = v; }
        Min = lo; Max = hi;
    }

    public void ObserveHistogram(float[] values)
    {
        _histogram ??= new long[Bins];
        double width = (Max - Min) / Bins;
        foreach (float v in values)
        {
            int bin = width > 0 ? (int)Math.Min(Bins - 1, Math.Max(0, (v - Min) / width)) : 0;
            _histogram[bin]++;
        }
        _count += values.Length;
    }

    /// <summary>
    /// The range to quantize: the extremes (minmax), or the values below which <paramref name="percentile"/> %
    /// and above which (100 - percentile) % of the observed values lie (bin edges of the histogram);
    /// always widened to contain 0 (zero must be exact: padding and ReLU).
    /// </summary>
    public (double Lo, double Hi) Range(string method, double percentile)
    {
        double lo = Min, hi = Max;
        if (method == "percentile" && _histogram != null && _count > 0)
        {
            double width = (Max - Min) / Bins;
            long below = (long)Math.Floor(_count * (100 - percentile) / 100), above = (long)Math.Floor(_count * (100 - percentile) / 100);
            long seen = 0;
            int first = 0;
            while (first < Bins - 1 && seen + _histogram[first] <= below) seen += _histogram[first++];
            seen = 0;
            int last = Bins - 1;
            while (last > 0 && seen + _histogram[last] <= above) seen += _histogram[last--];
            lo = Min + first * width;
            hi = Math.Min(Max, Min + (last + 1) * width);
        }
        return (Math.Min(lo, 0), Math.Max(hi, 0));
    }
}
