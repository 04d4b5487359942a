using System.Text.Json;
using MicroNet.Aot.Tests.Infrastructure;
using Xunit;

namespace MicroNet.Aot.Tests;

/// <summary>`micronet inspect` totals: the counts measured on the reference model.</summary>
public class InspectTests
{
    [Theory]
    // figures from ../shared/notes/micronet-reference.md (instantiating the official model)
    [InlineData("m0", "1,019,590", "3,448,880")]
    [InlineData("m1", "1,777,587", "5,314,080")]
    [InlineData("m2", "2,393,876", "10,338,128")]
    [InlineData("m3", "2,622,960", "18,236,000")]
    public void Preset_totals_equal_the_official_counts(string preset, string parameters, string macs)
    {
        foreach (var target in new[] { preset, TestEnv.Preset(preset) })
        {
            var r = TestEnv.Cli("inspect", target);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Contains("total parameters: " + parameters + " ", r.Stdout);
            Assert.Contains("total MACs: " + macs + "\n", r.Stdout);
            Assert.Contains("features.1.layers.0.conv.0", r.Stdout);
        }
    }

    [Theory]
    [InlineData("custom-mixed.json")]
    [InlineData("m1-96-10.json")]
    public void Custom_totals_equal_the_reference_counts(string config)
    {
        string arch = TestEnv.Config(config);
        string python = Reference.RequirePython();
        var counts = TestEnv.Run(python, new[] { Reference.Script, "counts", "--arch", arch });
        Assert.True(counts.ExitCode == 0, counts.ToString());
        using var doc = JsonDocument.Parse(counts.Stdout);
        long parameters = doc.RootElement.GetProperty("parameters").GetInt64();
        long macs = doc.RootElement.GetProperty("macs").GetInt64();
        var r = TestEnv.Cli("inspect", arch);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("total parameters: " + parameters.ToString("N0") + " ", r.Stdout);
        Assert.Contains("total MACs: " + macs.ToString("N0") + "\n", r.Stdout);
    }

    [Fact]
    public void Preset_command_prints_the_shipped_file()
    {
        var r = TestEnv.Cli("preset", "m3");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(System.IO.File.ReadAllText(TestEnv.Preset("m3")), r.Stdout);
        Assert.NotEqual(0, TestEnv.Cli("preset", "m9").ExitCode);
    }
}
