namespace MicroNet.Aot.Runtime.Reference;

/// <summary>The matrix-vector product as a plain loop. Same signature as <see cref="Runtime.Linear"/>.</summary>
/// <remarks>The tests' oracle for the optimized kernels; not a user API (hidden from IntelliSense).</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static unsafe class Linear
{
    /// <summary>output[r] = sum_c weights[r * cols + c] * input[c] (no bias: the callers add it).</summary>
    public static void MatVec(float* weights, ref float input, ref float output, int rows, int cols)
    {
        fixed (float* vector = &input, result = &output)
            for (int row = 0; row < rows; row++)
            {
                float acc = 0f;
                for (int col = 0; col < cols; col++) acc += weights[(nint)row * cols + col] * vector[col];
                result[row] = acc;
            }
    }
}
