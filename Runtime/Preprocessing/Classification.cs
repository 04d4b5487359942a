using System;

namespace MicroNet.Aot.Runtime;

/// <summary>
/// Softmax and top-k over a model's output (its logits), without allocating. A generated model's
/// <c>Classify</c> and <c>TopK</c> run the model and call <see cref="Classify(ReadOnlySpan{float}, ReadOnlySpan{string})"/>
/// and <see cref="TopK(ReadOnlySpan{float}, ReadOnlySpan{string}, Span{Prediction})"/> with its labels.
/// </summary>
public static class Classification
{
    /// <summary>Numerically stable softmax (the maximum subtracted first, the sum in double precision).</summary>
    /// <param name="logits">The model's output.</param>
    /// <param name="probabilities">Receives the probabilities, one per logit, summing to 1; at least as long as <paramref name="logits"/>, and may be the same span.</param>
    /// <exception cref="ArgumentException"><paramref name="probabilities"/> is shorter than <paramref name="logits"/>.</exception>
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
    /// <param name="scores">The scores to rank (logits or probabilities).</param>
    /// <param name="indices">Receives the indices of the largest scores; its length is k, at most <c>scores.Length</c>.</param>
    /// <param name="topScores">Empty, or as long as <paramref name="indices"/>: receives the scores at those indices.</param>
    /// <exception cref="ArgumentException">k exceeds the number of scores, or <paramref name="topScores"/> has another length.</exception>
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

    /// <summary>The most probable class: its index, label and softmax probability (ties: the lower index).</summary>
    /// <param name="logits">The model's output (at least one value).</param>
    /// <param name="labels">The model's labels (a generated class's <c>Labels</c>), one per logit, or empty: the prediction's label is then <see langword="null"/>.</param>
    /// <returns>The class with the largest logit.</returns>
    /// <exception cref="ArgumentException"><paramref name="logits"/> is empty, or <paramref name="labels"/> is neither empty nor one per logit.</exception>
    public static Prediction Classify(ReadOnlySpan<float> logits, ReadOnlySpan<string> labels)
    {
        CheckLabels(logits, labels);
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
            if (logits[i] > logits[best]) best = i;
        return new Prediction(best, labels.IsEmpty ? null : labels[best], Probability(logits[best], logits[best], SumOfExponentials(logits, logits[best])));
    }

    /// <summary>
    /// The <c>min(top.Length, logits.Length)</c> most probable classes, most probable first (ties:
    /// the lower index first), with their labels and softmax probabilities.
    /// </summary>
    /// <param name="logits">The model's output (at least one value).</param>
    /// <param name="labels">The model's labels (a generated class's <c>Labels</c>), one per logit, or empty: the predictions' labels are then <see langword="null"/>.</param>
    /// <param name="top">Receives the classes; its length is k.</param>
    /// <returns>How many predictions were written: k, or the number of logits if that is smaller.</returns>
    /// <exception cref="ArgumentException"><paramref name="logits"/> is empty, or <paramref name="labels"/> is neither empty nor one per logit.</exception>
    public static int TopK(ReadOnlySpan<float> logits, ReadOnlySpan<string> labels, Span<Prediction> top)
    {
        CheckLabels(logits, labels);
        int k = Math.Min(top.Length, logits.Length);
        if (k == 0) return 0;
        // insertion into top[0..filled), largest logit first; the logit rides in Probability until the end
        int filled = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            float s = logits[i];
            if (filled == k && !(s > top[k - 1].Probability)) continue;
            int at = filled < k ? filled++ : k - 1;
            while (at > 0 && s > top[at - 1].Probability)
            {
                top[at] = top[at - 1];
                at--;
            }
            top[at] = new Prediction(i, null, s);
        }
        float max = top[0].Probability;
        double sum = SumOfExponentials(logits, max);
        for (int j = 0; j < k; j++)
        {
            int index = top[j].Index;
            top[j] = new Prediction(index, labels.IsEmpty ? null : labels[index], Probability(top[j].Probability, max, sum));
        }
        return k;
    }

    private static void CheckLabels(ReadOnlySpan<float> logits, ReadOnlySpan<string> labels)
    {
        if (logits.IsEmpty) throw new ArgumentException("logits must hold at least one value", nameof(logits));
        if (!labels.IsEmpty && labels.Length != logits.Length)
            throw new ArgumentException($"labels must be empty or hold one label per logit ({logits.Length}); it holds {labels.Length}", nameof(labels));
    }

    // the softmax's denominator, as Softmax computes it: exp(l - max) in float, summed in double
    private static double SumOfExponentials(ReadOnlySpan<float> logits, float max)
    {
        double sum = 0;
        foreach (float v in logits) sum += MathF.Exp(v - max);
        return sum;
    }

    // the same value Softmax writes for this logit
    private static float Probability(float logit, float max, double sum) => MathF.Exp(logit - max) * (float)(1.0 / sum);
}
