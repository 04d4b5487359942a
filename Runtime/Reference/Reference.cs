// The reference kernels: the readable definition of every operator the generated code calls, written
// like TFLite Micro's reference kernels (plain scalar loops named by meaning, one comment per
// non-obvious step), with the same signatures as the optimized entry points in Runtime/<Operator>/,
// so a test calls both with the same arguments. They are the oracle of every kernel test; nothing
// on the inference path calls them.
//
// Conventions shared by every operator (stated here once):
// - Tensors are NCHW planes of floats; a layer reads its input planes through a table of plane
//   indices (the channel shuffles and Shift-Max partners of the generator, already applied), so
//   input channel c of a layer is the plane starting at input[planes[c] * inPlane].
// - Padding: output row oy, tap t of a k x 1 conv reads input row oy * stride + t - pad, and a row
//   outside [0, height) reads zero (PyTorch's Conv2d zero padding); the same along W for 1 x k.
// - Summation order: the bias first, then the taps (and input planes) in order, one rounding per
//   multiply and per add. The optimized kernels fuse multiply and add where the hardware has FMA,
//   so they agree with these to rounding (the kernel tests allow 1e-5 relative), not bit for bit.
// - ReLU6 fused into a conv clamps the stored value to [0, 6].
namespace MicroNet.Aot.Runtime.Reference;

internal static class Rules
{
    /// <summary>min(max(x, 0), 6).</summary>
    public static float Relu6(float x) => System.MathF.Min(System.MathF.Max(x, 0f), 6f);

    /// <summary>The input coordinate tap <paramref name="tap"/> of output coordinate <paramref name="output"/> reads (may lie in the padding).</summary>
    public static int InputCoordinate(int output, int tap, int stride, int pad) => output * stride + tap - pad;

    /// <summary>Whether a coordinate lies inside a dimension of <paramref name="size"/> (outside: the zero padding).</summary>
    public static bool Inside(int coordinate, int size) => coordinate >= 0 && coordinate < size;
}
