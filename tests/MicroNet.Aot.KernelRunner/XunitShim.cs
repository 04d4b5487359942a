// The few xunit (and Xunit.Combinatorial) attributes and asserts KernelTests.cs uses, so the same file
// compiles into a NativeAOT app. An assert that fails throws AssertFailure; Program counts it.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;

namespace Xunit;

[AttributeUsage(AttributeTargets.Method)] public sealed class FactAttribute : Attribute { }
[AttributeUsage(AttributeTargets.Method)] public sealed class TheoryAttribute : Attribute { }
[AttributeUsage(AttributeTargets.Method)] public sealed class CombinatorialDataAttribute : Attribute { }

[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class InlineDataAttribute : Attribute
{
    public InlineDataAttribute(params object?[] data) { Data = data; }
    public object?[] Data { get; }
}

[AttributeUsage(AttributeTargets.Parameter)]
public sealed class CombinatorialValuesAttribute : Attribute
{
    public CombinatorialValuesAttribute(params object?[] values) { Values = values; }
    public object?[] Values { get; }
}

public sealed class AssertFailure : Exception
{
    public AssertFailure(string message) : base(message) { }
}

public static class Assert
{
    public static void True(bool condition, string? message = null)
    {
        if (!condition) throw new AssertFailure(message ?? "Assert.True failed");
    }

    public static void Equal<T>(T expected, T actual)
    {
        if (expected is IEnumerable e && actual is IEnumerable a && expected is not string)
        {
            var x = e.Cast<object?>().ToList();
            var y = a.Cast<object?>().ToList();
            if (x.Count != y.Count) throw new AssertFailure($"Assert.Equal: {x.Count} items expected, {y.Count} found");
            for (int i = 0; i < x.Count; i++)
                if (!Equals(x[i], y[i])) throw new AssertFailure($"Assert.Equal: item {i}: expected {x[i]}, found {y[i]}");
            return;
        }
        if (!EqualityComparer<T>.Default.Equals(expected, actual)) throw new AssertFailure($"Assert.Equal: expected {expected}, found {actual}");
    }

    public static void Equal(float expected, float actual, float tolerance)
    {
        if (!(Math.Abs(expected - actual) <= tolerance)) throw new AssertFailure($"Assert.Equal: expected {expected}, found {actual} (tolerance {tolerance})");
    }

    public static void Contains<T>(T expected, IEnumerable<T> collection)
    {
        if (!collection.Contains(expected)) throw new AssertFailure($"Assert.Contains: {expected} not found");
    }
}
