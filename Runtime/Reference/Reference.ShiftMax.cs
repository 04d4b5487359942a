namespace MicroNet.Aot.Runtime.Reference;

/// <summary>Dynamic Shift-Max as plain loops. Same signatures as <see cref="Runtime.ShiftMax"/>.</summary>
/// <remarks>The tests' oracle for the optimized kernels; not a user API (hidden from IntelliSense).</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static unsafe class ShiftMax
{
    /// <summary>h_sigmoid(x) = ReLU6(x + 3) / 6, as the official Shift-Max computes it (times 1/6).</summary>
    public static float HSigmoid(float x) => Rules.Relu6(x + 3f) * (1f / 6f);

    /// <summary>The coefficients from fc.2's output: x[j] = (h_sigmoid(x[j] + bias[j]) - 0.5) * scale, scale = 2 * act_max.</summary>
    public static void Coefficients(ref float x, float* bias, nint n, float scale)
    {
        fixed (float* values = &x)
            for (nint j = 0; j < n; j++) values[j] = (HSigmoid(values[j] + bias[j]) - 0.5f) * scale;
    }

    /// <summary>One mix (J = 1): dst[i] = a * x[i] + b * partner[i].</summary>
    public static void Mix(ref float dst, ref float x, ref float partner, float a, float b, nint n)
    {
        fixed (float* result = &dst, own = &x, other = &partner)
            for (nint i = 0; i < n; i++) result[i] = a * own[i] + b * other[i];
    }

    /// <summary>Two mixes (J = 2): dst[i] = max(a1 * x[i] + b1 * partner[i], a2 * x[i] + b2 * partner[i]).</summary>
    public static void MaxOfTwoMixes(ref float dst, ref float x, ref float partner, float a1, float b1, float a2, float b2, nint n)
    {
        fixed (float* result = &dst, own = &x, other = &partner)
            for (nint i = 0; i < n; i++)
            {
                float first = a1 * own[i] + b1 * other[i];
                float second = a2 * own[i] + b2 * other[i];
                result[i] = first > second ? first : second;
            }
    }
}
