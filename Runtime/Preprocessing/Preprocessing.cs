using System;
using System.Buffers;

namespace MicroNet.Aot.Runtime;

/// <summary>
/// ImageNet evaluation preprocessing, as the authors evaluate (utils/dataloaders.py: torchvision on
/// PIL images): Resize(int(size / 0.875)) of the shorter side (truncated, as their code writes it)
/// with PIL's antialiased bilinear filter, CenterCrop(size), ToTensor (/255), Normalize(mean, std),
/// into NCHW float32. The resize reproduces Pillow's 8-bit fixed-point resampler (Resample.c)
/// exactly, so the tensor equals torchvision's bit for bit.
/// A non-square input (H x W) resizes the shorter side to int(max(H, W) / 0.875), then crops H x W
/// at the center (the same as the square rule when H = W; the crop always fits).
/// </summary>
public static class Preprocessing
{
    /// <summary>The ImageNet channel means (RGB).</summary>
    public static ReadOnlySpan<float> ImageNetMean => new float[] { 0.485f, 0.456f, 0.406f };
    /// <summary>The ImageNet channel standard deviations (RGB).</summary>
    public static ReadOnlySpan<float> ImageNetStd => new float[] { 0.229f, 0.224f, 0.225f };

    private const int PrecisionBits = 32 - 8 - 2;

    /// <summary>
    /// Preprocesses an interleaved 8-bit image into <paramref name="destination"/>: mean.Length x
    /// size x size floats, NCHW. See the other overload for the channels.
    /// </summary>
    public static void ImageNet(ReadOnlySpan<byte> pixels, int width, int height, int channels, int size,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> std, Span<float> destination) =>
        ImageNet(pixels, width, height, channels, size, size, mean, std, destination);

    /// <summary>
    /// Preprocesses an interleaved 8-bit image (<paramref name="channels"/> per pixel: 1 grayscale,
    /// 2 grayscale + alpha, 3 RGB, 4 RGBA; alpha ignored) into <paramref name="destination"/>:
    /// mean.Length x outputHeight x outputWidth floats, NCHW (a generated model's InputChannels,
    /// InputHeight, InputWidth). The model's channel count is mean.Length: 3 takes RGB (grayscale
    /// replicated, as PIL's convert("RGB")), 1 takes grayscale (RGB weighted as PIL's convert("L"):
    /// (19595 R + 38470 G + 7471 B + 2^15) >> 16).
    /// </summary>
    /// <param name="pixels">The image, 8 bits per channel, interleaved, row-major, top row first: at least <paramref name="width"/> x <paramref name="height"/> x <paramref name="channels"/> bytes.</param>
    /// <param name="width">The image's width in pixels.</param>
    /// <param name="height">The image's height in pixels.</param>
    /// <param name="channels">Bytes per pixel: 1 grayscale, 2 grayscale + alpha, 3 RGB, 4 RGBA (alpha is ignored).</param>
    /// <param name="outputHeight">The output's height: a generated model's <c>InputHeight</c>.</param>
    /// <param name="outputWidth">The output's width: a generated model's <c>InputWidth</c>.</param>
    /// <param name="mean">The per-channel mean to subtract after scaling to [0, 1]: a generated model's <c>InputMean</c> (or <see cref="ImageNetMean"/>); its length (1 or 3) is the model's channel count.</param>
    /// <param name="std">The per-channel standard deviation to divide by: a generated model's <c>InputStd</c> (or <see cref="ImageNetStd"/>); as long as <paramref name="mean"/>.</param>
    /// <param name="destination">Receives the NCHW tensor, the model's input: exactly mean.Length x outputHeight x outputWidth floats (a generated model's <c>InputLength</c>).</param>
    /// <exception cref="ArgumentException">A size, channel count or span length does not fit (the message names which).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="outputHeight"/> or <paramref name="outputWidth"/> is not positive.</exception>
    public static void ImageNet(ReadOnlySpan<byte> pixels, int width, int height, int channels, int outputHeight, int outputWidth,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> std, Span<float> destination)
    {
        if (channels < 1 || channels > 4) throw new ArgumentException("channels must be 1 (grayscale), 2 (grayscale + alpha), 3 (RGB) or 4 (RGBA)", nameof(channels));
        if (width < 1 || height < 1 || pixels.Length < (long)width * height * channels)
            throw new ArgumentException($"pixels must hold {width}x{height}x{channels} bytes", nameof(pixels));
        if (outputHeight < 1 || outputWidth < 1) throw new ArgumentOutOfRangeException(outputHeight < 1 ? nameof(outputHeight) : nameof(outputWidth));
        int bands = mean.Length;
        if (bands != 1 && bands != 3)
            throw new ArgumentException("the ImageNet preprocessing makes 1 (grayscale) or 3 (RGB) channels, one mean and std each; for other inputs fill the tensor yourself", nameof(mean));
        if (std.Length != bands) throw new ArgumentException($"std needs {bands} values, as mean has", nameof(std));
        long plane = (long)outputHeight * outputWidth;
        if (destination.Length != bands * plane)
            throw new ArgumentException($"destination must hold exactly {bands * plane} floats ({bands}x{outputHeight}x{outputWidth})", nameof(destination));

        // torchvision.transforms.Resize(int): the shorter side becomes `resize`, the longer one
        // int(resize * long / short) (Python's float division, truncated)
        int resize = (int)(Math.Max(outputHeight, outputWidth) / 0.875);
        int newW, newH;
        if (width <= height) { newW = resize; newH = (int)((double)resize * height / width); }
        else { newH = resize; newW = (int)((double)resize * width / height); }

        byte[] converted = ArrayPool<byte>.Shared.Rent(width * height * bands);
        byte[] resized = ArrayPool<byte>.Shared.Rent(newW * newH * bands);
        try
        {
            Convert(pixels, width * height, channels, converted, bands);
            ResizeBilinear(converted, width, height, resized, newW, newH, bands);

            // CenterCrop: Python's round (half to even) of the margins
            int top = (int)Math.Round((newH - outputHeight) / 2.0, MidpointRounding.ToEven);
            int left = (int)Math.Round((newW - outputWidth) / 2.0, MidpointRounding.ToEven);
            for (int c = 0; c < bands; c++)
            {
                float m = mean[c], s = std[c];
                for (int y = 0; y < outputHeight; y++)
                {
                    int row = ((top + y) * newW + left) * bands + c;
                    int dst = (int)(c * plane) + y * outputWidth;
                    for (int x = 0; x < outputWidth; x++)
                        destination[dst + x] = (resized[row + x * bands] / 255f - m) / s;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(converted);
            ArrayPool<byte>.Shared.Return(resized);
        }
    }

    /// <summary>PIL's convert("RGB") / convert("L") of <paramref name="count"/> pixels, alpha dropped.</summary>
    private static void Convert(ReadOnlySpan<byte> pixels, int count, int channels, Span<byte> destination, int bands)
    {
        bool gray = channels <= 2;
        for (int p = 0; p < count; p++)
        {
            int at = p * channels;
            if (bands == 3)
            {
                for (int c = 0; c < 3; c++) destination[p * 3 + c] = pixels[at + (gray ? 0 : c)];
            }
            else
            {
                destination[p] = gray ? pixels[at] : (byte)((pixels[at] * 19595 + pixels[at + 1] * 38470 + pixels[at + 2] * 7471 + 0x8000) >> 16);
            }
        }
    }

    /// <summary>Pillow's Image.resize(BILINEAR) for 8-bit RGB: horizontal pass first, then vertical, fixed point.</summary>
    /// <param name="source">The image, 3 interleaved bytes per pixel, row-major: at least width x height x 3 bytes.</param>
    /// <param name="width">The source's width in pixels.</param>
    /// <param name="height">The source's height in pixels.</param>
    /// <param name="destination">Receives the resized image: at least newWidth x newHeight x 3 bytes.</param>
    /// <param name="newWidth">The resized width.</param>
    /// <param name="newHeight">The resized height.</param>
    /// <exception cref="ArgumentException">A size is not positive, or a span is smaller than its size says.</exception>
    public static void ResizeBilinear(ReadOnlySpan<byte> source, int width, int height, Span<byte> destination, int newWidth, int newHeight) =>
        ResizeBilinear(source, width, height, destination, newWidth, newHeight, 3);

    /// <summary>Pillow's Image.resize(BILINEAR) for 8-bit images of <paramref name="bands"/> interleaved bands (1: "L", 3: "RGB"), bit-exact.</summary>
    /// <param name="source">The image, <paramref name="bands"/> interleaved bytes per pixel, row-major: at least width x height x bands bytes.</param>
    /// <param name="width">The source's width in pixels.</param>
    /// <param name="height">The source's height in pixels.</param>
    /// <param name="destination">Receives the resized image: at least newWidth x newHeight x bands bytes.</param>
    /// <param name="newWidth">The resized width.</param>
    /// <param name="newHeight">The resized height.</param>
    /// <param name="bands">Bytes per pixel, 1 to 4.</param>
    /// <exception cref="ArgumentException">A size is not positive, or a span is smaller than its size says.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bands"/> is not 1 to 4.</exception>
    public static void ResizeBilinear(ReadOnlySpan<byte> source, int width, int height, Span<byte> destination, int newWidth, int newHeight, int bands)
    {
        if (bands < 1 || bands > 4) throw new ArgumentOutOfRangeException(nameof(bands), "1 to 4 interleaved bands");
        if (width < 1 || height < 1 || newWidth < 1 || newHeight < 1) throw new ArgumentException("sizes must be positive");
        if (source.Length < (long)width * height * bands || destination.Length < (long)newWidth * newHeight * bands)
            throw new ArgumentException("source or destination is smaller than its size says");
        var (boundsH, kkH, ksizeH) = Coefficients(width, newWidth);
        var (boundsV, kkV, ksizeV) = Coefficients(height, newHeight);
        bool needH = newWidth != width, needV = newHeight != height;

        // rows of the source the vertical pass uses
        int firstRow = boundsV[0];
        int lastRow = boundsV[newHeight * 2 - 2] + boundsV[newHeight * 2 - 1];
        int tempRows = needH ? lastRow - firstRow : height;
        byte[] temp = ArrayPool<byte>.Shared.Rent(Math.Max(1, tempRows * newWidth * bands));
        try
        {
            ReadOnlySpan<byte> vin;
            int vinWidth;
            if (needH)
            {
                for (int i = 0; i < newHeight; i++) boundsV[i * 2] -= firstRow;
                for (int y = 0; y < tempRows; y++)
                {
                    int srcRow = (y + firstRow) * width * bands, dstRow = y * newWidth * bands;
                    for (int x = 0; x < newWidth; x++)
                    {
                        int xmin = boundsH[x * 2], xmax = boundsH[x * 2 + 1], k = x * ksizeH;
                        for (int c = 0; c < bands; c++)
                        {
                            int ss = 1 << (PrecisionBits - 1);
                            for (int t = 0; t < xmax; t++) ss += source[srcRow + (t + xmin) * bands + c] * kkH[k + t];
                            temp[dstRow + x * bands + c] = Clip8(ss);
                        }
                    }
                }
                vin = temp.AsSpan(0, tempRows * newWidth * bands);
                vinWidth = newWidth;
            }
            else
            {
                vin = source;
                vinWidth = width;
            }

            if (needV)
            {
                for (int y = 0; y < newHeight; y++)
                {
                    int ymin = boundsV[y * 2], ymax = boundsV[y * 2 + 1], k = y * ksizeV;
                    for (int x = 0; x < vinWidth * bands; x++)
                    {
                        int ss = 1 << (PrecisionBits - 1);
                        for (int t = 0; t < ymax; t++) ss += vin[(t + ymin) * vinWidth * bands + x] * kkV[k + t];
                        destination[y * vinWidth * bands + x] = Clip8(ss);
                    }
                }
            }
            else
            {
                vin.Slice(0, newHeight * vinWidth * bands).CopyTo(destination);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(temp);
        }
    }

    private static byte Clip8(int value)
    {
        if (value >= (1 << PrecisionBits << 8)) return 255;
        if (value <= 0) return 0;
        return (byte)(value >> PrecisionBits);
    }

    /// <summary>Pillow's precompute_coeffs + normalize_coeffs_8bpc for the triangle (bilinear) filter.</summary>
    private static (int[] Bounds, int[] Kk, int KSize) Coefficients(int inSize, int outSize)
    {
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double support = 1.0 * filterScale;
        int ksize = (int)Math.Ceiling(support) * 2 + 1;
        var bounds = new int[outSize * 2];
        var kk = new int[outSize * ksize];
        var weights = new double[ksize];
        for (int xx = 0; xx < outSize; xx++)
        {
            double center = (xx + 0.5) * scale;
            double ww = 0.0, ss = 1.0 / filterScale;
            int xmin = (int)(center - support + 0.5);
            if (xmin < 0) xmin = 0;
            int xmax = (int)(center + support + 0.5);
            if (xmax > inSize) xmax = inSize;
            xmax -= xmin;
            for (int x = 0; x < xmax; x++)
            {
                double arg = Math.Abs((x + xmin - center + 0.5) * ss);
                double w = arg < 1.0 ? 1.0 - arg : 0.0;
                weights[x] = w;
                ww += w;
            }
            for (int x = 0; x < xmax; x++)
            {
                double k = ww != 0.0 ? weights[x] / ww : weights[x];
                kk[xx * ksize + x] = k < 0 ? (int)(-0.5 + k * (1 << PrecisionBits)) : (int)(0.5 + k * (1 << PrecisionBits));
            }
            bounds[xx * 2] = xmin;
            bounds[xx * 2 + 1] = xmax;
        }
        return (bounds, kk, ksize);
    }
}
