using System;
using System.Collections.Generic;
using MicroNet.Aot.Cli.Checkpoints;
using MicroNet.Aot.Model.Lowering;

namespace MicroNet.Aot.Cli.Import;

/// <summary>
/// Folds BatchNorm into the preceding conv / linear, in float64, then rounds to float32:
/// scale = gamma / sqrt(running_var + eps); weight' = weight * scale[out]; bias' = (bias - mean) * scale + beta.
/// </summary>
public static class Folding
{
    public const double BatchNormEps = 1e-5;

    /// <summary>The stored tensor's values; <paramref name="source"/> maps checkpoint keys to tensors.</summary>
    public static float[] Fold(StoredTensor stored, Func<string, double[]> source)
    {
        double[] weight = source(stored.WeightKey);
        int outC = stored.Shape[0];
        int perOut = weight.Length / outC;
        double[]? bias = stored.BiasKey != null ? source(stored.BiasKey) : null;
        double[]? scale = null, mean = null, beta = null;
        if (stored.BatchNormPrefix is string bn)
        {
            double[] gamma = source(bn + ".weight"), variance = source(bn + ".running_var");
            beta = source(bn + ".bias");
            mean = source(bn + ".running_mean");
            scale = new double[outC];
            for (int o = 0; o < outC; o++)
            {
                // PyTorch adds eps in float32: a variance that is positive only in float64 is NaN or inf there
                if (!(variance[o] + BatchNormEps > 0) || !((float)variance[o] + (float)BatchNormEps > 0f))
                    throw new CliError("checkpoint entry '" + bn + ".running_var' has a negative variance (" + variance[o] + ") at channel " + o);
                scale[o] = gamma[o] / Math.Sqrt(variance[o] + BatchNormEps);
            }
        }

        var result = new float[stored.Role == StoredRole.Weight ? weight.Length : outC];
        if (stored.Role == StoredRole.Weight)
        {
            for (int o = 0; o < outC; o++)
                for (int k = 0; k < perOut; k++)
                    result[o * perOut + k] = (float)(scale == null ? weight[o * perOut + k] : weight[o * perOut + k] * scale[o]);
        }
        else
        {
            for (int o = 0; o < outC; o++)
            {
                double b = bias?[o] ?? 0.0;
                result[o] = (float)(scale == null ? b : (b - mean![o]) * scale[o] + beta![o]);
            }
        }
        foreach (float v in result)
            if (!float.IsFinite(v))
                throw new CliError("folding '" + stored.Name + "' gives a non-finite value: the checkpoint holds NaN/Inf or an extreme BatchNorm statistic");
        return result;
    }
}
