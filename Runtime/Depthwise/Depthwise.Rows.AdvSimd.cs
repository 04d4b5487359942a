using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace MicroNet.Aot.Runtime;

public static unsafe partial class Depthwise
{
    /// <summary>
    /// ARM64: the 1 x 3 stride-2 conv (pad 1, inWidth = 2 * outWidth) of <paramref name="height"/>
    /// rows without staging: UZP1 / UZP2 split eight input columns into the even (in[2x], tap 1) and
    /// odd (in[2x + 1], tap 2) columns in registers, and EXT shifts the odd ones by one lane for
    /// in[2x - 1] (tap 0), the previous vector's last odd column coming in (a zero at the row's
    /// start: the padding). Per output: bias, then taps 0, 1, 2 in order, a padded tap adding a
    /// zero - the sums of the staged path (<see cref="RowStride2"/>), bit for bit.
    /// </summary>
    private static void RowStride2K3AdvSimd(ref float input, ref float output, float* taps, float bias, int height, int inWidth, int outWidth, bool relu6)
    {
        var w0 = Vector128.Create(taps[0]); var w1 = Vector128.Create(taps[1]); var w2 = Vector128.Create(taps[2]);
        var b = Vector128.Create(bias);
        nint vectorEnd = outWidth & ~3; // outputs done four at a time; the rest one at a time
        // LD2 takes an address: the input pinned for the call
        fixed (float* inPointer = &input)
        for (int y = 0; y < height; y++)
        {
            ref float inRow = ref Unsafe.Add(ref input, (nint)y * inWidth);
            ref float outRow = ref Unsafe.Add(ref output, (nint)y * outWidth);
            var previousOdd = Vector128<float>.Zero;
            nint x = 0;
            for (; x < vectorEnd; x += 4)
            {
#if NET9_0_OR_GREATER
                // LD2: eight columns loaded and split into even and odd in one instruction
                (Vector128<float> even, Vector128<float> odd) = AdvSimd.Arm64.Load2xVector128AndUnzip(inPointer + (nint)y * inWidth + 2 * x);
#else
                var v0 = Vector128.LoadUnsafe(ref inRow, (nuint)(2 * x));
                var v1 = Vector128.LoadUnsafe(ref inRow, (nuint)(2 * x + 4));
                var even = AdvSimd.Arm64.UnzipEven(v0, v1);
                var odd = AdvSimd.Arm64.UnzipOdd(v0, v1);
#endif
                var left = AdvSimd.ExtractVector128(previousOdd, odd, 3);
                var acc = Simd.Fma(left, w0, b);
                acc = Simd.Fma(even, w1, acc);
                acc = Simd.Fma(odd, w2, acc);
                if (relu6) acc = Simd.Relu6(acc);
                acc.StoreUnsafe(ref outRow, (nuint)x);
                previousOdd = odd;
            }
            for (; x < outWidth; x++)
            {
                // the left tap is inside here (x >= 4), the right one too (2x + 1 < inWidth)
                float acc = Simd.Fma(Unsafe.Add(ref inRow, 2 * x - 1), taps[0], bias);
                acc = Simd.Fma(Unsafe.Add(ref inRow, 2 * x), taps[1], acc);
                acc = Simd.Fma(Unsafe.Add(ref inRow, 2 * x + 1), taps[2], acc);
                Unsafe.Add(ref outRow, x) = relu6 ? Simd.Relu6(acc) : acc;
            }
        }
    }
}
