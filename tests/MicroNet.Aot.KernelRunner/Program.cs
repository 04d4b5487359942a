using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Xunit;

namespace MicroNet.Aot.Tests;

/// <summary>
/// Runs every [Theory] / [Fact] of KernelTests: [InlineData] rows, and for [CombinatorialData] every
/// combination of the parameters' [CombinatorialValues] (bool: false, true), as xunit expands them.
/// Prints each failure and a summary line; exit code 1 when any case failed.
/// <c>MicroNet.Aot.KernelRunner [NAME_FILTER]</c>
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        string? filter = args.Length > 0 ? args[0] : null;
        int passed = 0, failed = 0;
        var instance = new KernelTests();
        foreach (var method in typeof(KernelTests).GetMethods(BindingFlags.Public | BindingFlags.Instance).OrderBy(m => m.Name, StringComparer.Ordinal))
        {
            if (method.GetCustomAttribute<TheoryAttribute>() == null && method.GetCustomAttribute<FactAttribute>() == null) continue;
            if (filter != null && !method.Name.Contains(filter, StringComparison.Ordinal)) continue;
            foreach (var arguments in Cases(method))
            {
                try
                {
                    method.Invoke(instance, arguments);
                    passed++;
                }
                catch (TargetInvocationException e)
                {
                    failed++;
                    Console.WriteLine($"FAILED {method.Name}({string.Join(", ", arguments.Select(a => a?.ToString() ?? "null"))}): {e.InnerException?.Message}");
                }
            }
        }
        Console.WriteLine($"kernel tests on {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}: {passed} passed, {failed} failed " +
            $"(Vector128.IsHardwareAccelerated={System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated}, AdvSimd.Arm64={System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.IsSupported}, Dp={System.Runtime.Intrinsics.Arm.Dp.IsSupported})");
        return failed == 0 && passed > 0 ? 0 : 1;
    }

    private static IEnumerable<object?[]> Cases(MethodInfo method)
    {
        var parameters = method.GetParameters();
        foreach (var row in method.GetCustomAttributes<InlineDataAttribute>())
            yield return row.Data.Select((v, i) => Convert(v, parameters[i].ParameterType)).ToArray();
        if (method.GetCustomAttribute<CombinatorialDataAttribute>() != null)
        {
            var domains = parameters.Select(p =>
                p.GetCustomAttribute<CombinatorialValuesAttribute>()?.Values.Select(v => Convert(v, p.ParameterType)).ToArray()
                ?? (p.ParameterType == typeof(bool) ? new object?[] { false, true } : throw new InvalidOperationException(method.Name + ": no values for " + p.Name))).ToArray();
            var index = new int[domains.Length];
            while (true)
            {
                yield return index.Select((k, i) => domains[i][k]).ToArray();
                int d = domains.Length - 1;
                while (d >= 0 && ++index[d] == domains[d].Length) index[d--] = 0;
                if (d < 0) break;
            }
        }
        if (parameters.Length == 0) yield return Array.Empty<object?>();
    }

    private static object? Convert(object? value, Type type) =>
        value == null || type.IsInstanceOfType(value) ? value : System.Convert.ChangeType(value, type, System.Globalization.CultureInfo.InvariantCulture);
}
