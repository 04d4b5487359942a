namespace MicroNet.Aot.Runtime;

/// <summary>One class of a model's prediction: its output index, its label and its softmax probability.</summary>
/// <param name="Index">The index of the class in the model's output (0 to OutputLength - 1).</param>
/// <param name="Label">
/// The class's label from the model file's <c>labels</c> (the generated class's <c>Labels</c>), or
/// <see langword="null"/> when the model file has no labels.
/// </param>
/// <param name="Probability">The class's probability: the softmax of the model's output at <paramref name="Index"/>, in [0, 1].</param>
public readonly record struct Prediction(int Index, string? Label, float Probability);
