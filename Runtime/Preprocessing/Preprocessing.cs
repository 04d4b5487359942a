using System;
using System.Buffers;

namespace MicroNet.Aot.Runtime;

/// <summary>
/// ImageNet evaluation preprocessing, as the reference evaluates (torchvision on PIL images):
/// Resize(round(size / 0.875)) of the shorter side with PIL's antialiased bilinear filter,
/// CenterCrop(size), ToTensor (/255), Normalize(mean, std), into NCHW float32.
/// The resize reproduces Pillow's 8-bit fixed-point resampler (Resample.c) exactly, so the
/// tensor equals torchvision's bit for bit.
/// </summary>
public static class Preprocessing
{
    /// <summary>The ImageNet channel means (RGB).</summary>
    public static ReadOnlySpan<float> ImageNetMean => new float[] { 0.485f, 0.456f, 0.406f };
    /// <summary>The ImageNet channel standard deviations (RGB).</summary>
    public static ReadOnlySpan<float> ImageNetStd => new float[] { 0.229f, 0.224f, 0.225f };

    private const int PrecisionBits = 32 - 8 - 2;

    /// <summary>
    /// Preprocesses an interleaved 8-bit image (<paramref name="channels"/> = 3 for RGB or 4 for RGBA,
    /// alpha ignored) into <paramref name="destination"/>: 3 x size x size floats, NCHW.
    /// </summary>
    public static void ImageNet(ReadOnlySpan<byte> pixels, int width, int height, int channels, int size,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> std, Span<float> destination)
    {
        if (channels != 3 && channels != 4) throw new ArgumentException("channels must be 3 (RGB) or 4 (RGBA)", nameof(channels));
        if (width < 1 || height < 1 || pixels.Length < (long)width * height * channels)
            throw new ArgumentException($"pixels must hold {width}x{height}x{channels} bytes", nameof(pixels));
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size));
        if (mean.Length != 3 || std.Length != 3) throw new ArgumentException("mean and std need 3 values (RGB)");
        if (destination.Length != 3 * size * size)
            throw new ArgumentException($"destination must hold exactly {3 * size * size} floats (3x{size}x{size})", nameof(destination));

        // torchvision.transforms.Resize(int): the shorter side becomes `resize`, the longer one
        // int(resize * long / short) (Python's float division, truncated).
        int resize = (int)Math.Round(size / 0.875, MidpointRounding.ToEven);
        int newW, newH;
        if (width <= height) { newW = resize; newH = (int)((double)resize * height / width); }
        else { newH = resize; newW = (int)((double)resize * width / height); }
        if (newW < size || newH < size) throw new ArgumentException("image too small for the crop");

        byte[] rgb = ArrayPool<byte>.Shared.Rent(width * height * 3);
        byte[] resized = ArrayPool<byte>.Shared.Rent(newW * newH * 3);
        try
        {
            for (int p = 0; p < width * height; p++)
                for (int c = 0; c < 3; c++) rgb[p * 3 + c] = pixels[p * channels + c];
            ResizeBilinear(rgb, width, height, resized, newW, newH);

            // CenterCrop: Python's round (half to even) of the margins
            int top = (int)Math.Round((newH - size) / 2.0, MidpointRounding.ToEven);
            int left = (int)Math.Round((newW - size) / 2.0, MidpointRounding.ToEven);
            int plane = size * size;
            for (int c = 0; c < 3; c++)
            {
                float m = mean[c], s = std[c];
                for (int y = 0; y < size; y++)
                {
                    int row = ((top + y) * newW + left) * 3 + c;
                    int dst = c * plane + y * size;
                    for (int x = 0; x < size; x++)
                        destination[dst + x] = (resized[row + x * 3] / 255f - m) / s;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rgb);
            ArrayPool<byte>.Shared.Return(resized);
        }
    }

    /// <summary>Pillow's Image.resize(BILINEAR) for 8-bit RGB: horizontal pass first, then vertical, fixed point.</summary>
    public static void ResizeBilinear(ReadOnlySpan<byte> source, int width, int height, Span<byte> destination, int newWidth, int newHeight)
    {
        var (boundsH, kkH, ksizeH) = Coefficients(width, newWidth);
        var (boundsV, kkV, ksizeV) = Coefficients(height, newHeight);
        bool needH = newWidth != width, needV = newHeight != height;

        // rows of the source the vertical pass uses
        int firstRow = boundsV[0];
        int lastRow = boundsV[newHeight * 2 - 2] + boundsV[newHeight * 2 - 1];
        int tempRows = needH ? lastRow - firstRow : height;
        byte[] temp = ArrayPool<byte>.Shared.Rent(Math.Max(1, tempRows * newWidth * 3));
        try
        {
            ReadOnlySpan<byte> vin;
            int vinWidth;
            if (needH)
            {
                for (int i = 0; i < newHeight; i++) boundsV[i * 2] -= firstRow;
                for (int y = 0; y < tempRows; y++)
                {
                    int srcRow = (y + firstRow) * width * 3, dstRow = y * newWidth * 3;
                    for (int x = 0; x < newWidth; x++)
                    {
                        int xmin = boundsH[x * 2], xmax = boundsH[x * 2 + 1], k = x * ksizeH;
                        for (int c = 0; c < 3; c++)
                        {
                            int ss = 1 << (PrecisionBits - 1);
                            for (int t = 0; t < xmax; t++) ss += source[srcRow + (t + xmin) * 3 + c] * kkH[k + t];
                            temp[dstRow + x * 3 + c] = Clip8(ss);
                        }
                    }
                }
                vin = temp.AsSpan(0, tempRows * newWidth * 3);
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
                    for (int x = 0; x < vinWidth * 3; x++)
                    {
                        int ss = 1 << (PrecisionBits - 1);
                        for (int t = 0; t < ymax; t++) ss += vin[(t + ymin) * vinWidth * 3 + x] * kkV[k + t];
                        destination[y * vinWidth * 3 + x] = Clip8(ss);
                    }
                }
            }
            else
            {
                vin.Slice(0, newHeight * vinWidth * 3).CopyTo(destination);
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
