using System.IO;
using System.Linq;
using System.Text.Json;
using Json.Schema;
using MicroNet.Aot.Tests.Infrastructure;
using Xunit;

namespace MicroNet.Aot.Tests;

/// <summary>docs/micronet.schema.json accepts the shipped files and rejects broken ones.</summary>
public class SchemaTests
{
    private static readonly JsonSchema Schema = JsonSchema.FromText(File.ReadAllText(TestEnv.SchemaPath));

    internal static void AssertValid(string json)
    {
        var result = Schema.Evaluate(JsonDocument.Parse(json).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(result.IsValid, "schema errors:\n" + string.Join("\n",
            (result.Details ?? new System.Collections.Generic.List<EvaluationResults>()).Where(d => d.Errors != null).SelectMany(d => d.Errors!.Select(e => d.InstanceLocation + ": " + e.Value))));
    }

    [Theory]
    [InlineData("presets/m0.json")]
    [InlineData("presets/m1.json")]
    [InlineData("presets/m2.json")]
    [InlineData("presets/m3.json")]
    [InlineData("configs/custom-mixed.json")]
    [InlineData("configs/m1-96-10.json")]
    public void Shipped_architectures_pass_the_schema(string file) =>
        AssertValid(File.ReadAllText(Path.Combine(TestEnv.BaseDir, file)));

    [Theory]
    [InlineData("\"format\": \"micronet/1\"", "\"format\": \"micronet/3\"")]
    [InlineData("\"reduction\": 8 }", "\"reduction\": 8 }, \"quantization\": { \"scheme\": \"int8\", \"input\": { \"scale\": 1, \"zero\": 0 }, \"layers\": [] }")]
    [InlineData("\"height\": 224", "\"height\": 0")]
    [InlineData("\"classes\": 1000", "\"classes\": 0")]
    [InlineData("\"y1\":   2", "\"y1\":   3")]
    [InlineData("\"reduction\": 8", "\"reduction\": 8, \"extra\": 1")]
    public void Schema_rejects_broken_files(string from, string to)
    {
        string text = File.ReadAllText(TestEnv.Preset("m0"));
        Assert.Contains(from, text);
        var result = Schema.Evaluate(JsonDocument.Parse(text.Replace(from, to)).RootElement);
        Assert.False(result.IsValid);
    }
}
