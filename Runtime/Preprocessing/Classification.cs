using System;

namespace MicroNet.Aot.Runtime;

/// <summary>Softmax and top-k over a model's output, without allocating.</summary>
public static class Classification
{
    /// <summary>Numerically stable softmax of <paramref name="logits"/> into <paramref name="probabilities"/> (may be the same span).</summary>
    public static void Softmax(ReadOnlySpan<float> logits, Span<float> probabilities)
    {
        if (probabilities.Length < logits.Length)
            throw new ArgumentException($"probabilities must hold at least {logits.Length} floats", nameof(probabilities));
        if (logits.IsEmpty) return;
        float max = float.NegativeInfinity;
        foreach (float v in logits) max = MathF.Max(max, v);
        double sum = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            float e = MathF.Exp(logits[i] - max);
            probabilities[i] = e;
            sum += e;
        }
        float inverse = (float)(1.0 / sum);
        for (int i = 0; i < logits.Length; i++) probabilities[i] *= inverse;
    }

    /// <summary>
    /// The indices of the <c>indices.Length</c> largest scores, largest first (ties: lower index
    /// first), and their scores in <paramref name="topScores"/> (same length, or empty).
    /// </summary>
    public static void TopK(ReadOnlySpan<float> scores, Span<int> indices, Span<float> topScores = default)
    {
        int k = indices.Length;
        if (k > scores.Length) throw new ArgumentException($"cannot take the top {k} of {scores.Length} scores", nameof(indices));
        if (!topScores.IsEmpty && topScores.Length != k) throw new ArgumentException("topScores must be empty or as long as indices", nameof(topScores));
        int filled = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            float s = scores[i];
            if (filled == k && !(s > scores[indices[k - 1]])) continue;
            int at = filled < k ? filled++ : k - 1;
            // insertion: shift smaller entries down
            while (at > 0 && s > scores[indices[at - 1]])
            {
                indices[at] = indices[at - 1];
                at--;
            }
            indices[at] = i;
        }
        if (!topScores.IsEmpty)
            for (int j = 0; j < k; j++) topScores[j] = scores[indices[j]];
    }
}
