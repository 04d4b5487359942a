using System.IO;
using System.Linq;
using MicroNet.Aot.Model;
using MicroNet.Aot.Model.Lowering;
using MicroNet.Aot.Tests.Infrastructure;
using Xunit;

namespace MicroNet.Aot.Tests;

/// <summary>The shared model-file reader: every problem has an ID, a JSON path and a line:column.</summary>
public class ModelSpecReaderTests
{
    private static string M0 => File.ReadAllText(TestEnv.Preset("m0"));

    private static (int Line, int Column) PositionOf(string text, string needle)
    {
        int index = text.IndexOf(needle, System.StringComparison.Ordinal);
        Assert.True(index >= 0, "test setup: '" + needle + "' not in the document");
        string before = text[..index];
        int line = before.Count(c => c == '\n') + 1;
        return (line, index - (before.LastIndexOf('\n') + 1) + 1);
    }

    [Theory]
    // (replace this, with this, expected ID, expected path, text whose position is reported, message part)
    [InlineData("\"classes\": 1000,", "\"classes\": 1000", IssueIds.MalformedJson, "", "\"stem\"", "expected ',' or '}'")]
    [InlineData("\"classes\": 1000,", "\"classes\": 1000, \"colour\": 3,", IssueIds.UnknownField, "colour", "\"colour\"", "unknown field")]
    [InlineData("\"classes\": 1000,", "\"classes\": 1000, \"classes\": 10,", IssueIds.UnknownField, "classes", "\"classes\": 10,", "given twice")]
    [InlineData("\"classes\": 1000,", "", IssueIds.MissingField, "classes", "{", "\"classes\" is missing")]
    [InlineData("\"classes\": 1000,", "\"classes\": \"many\",", IssueIds.WrongType, "classes", "\"many\"", "expected an integer")]
    [InlineData("\"classes\": 1000,", "\"classes\": 10.5,", IssueIds.WrongType, "classes", "10.5", "expected an integer")]
    [InlineData("\"classes\": 1000,", "\"classes\": -3,", IssueIds.InvalidValue, "classes", "-3", "between 1 and")]
    [InlineData("\"height\": 224", "\"height\": -224", IssueIds.InvalidValue, "input.height", "-224", "between 1 and 65536")]
    [InlineData("\"classes\": 1000,", "\"classes\": 1000, \"shuffle\": \"no\",", IssueIds.WrongType, "shuffle", "\"no\"", "expected true or false")]
    [InlineData("\"format\": \"micronet/1\"", "\"format\": \"micronet/7\"", IssueIds.UnsupportedFormat, "format", "\"micronet/7\"", "unsupported format")]
    [InlineData("\"name\": \"MicroNetM0\"", "\"name\": \"Micro Net\"", IssueIds.InvalidValue, "name", "\"Micro Net\"", "not a valid name")]
    [InlineData("\"std\": [0.229, 0.224, 0.225]", "\"std\": [0.229, 0, 0.225]", IssueIds.InvalidValue, "input.std[1]", "0, 0.225", "positive")]
    [InlineData("\"mean\": [0.485, 0.456, 0.406]", "\"mean\": [0.485, 0.456]", IssueIds.InvalidValue, "input.mean", "[0.485, 0.456]", "expected 3 items")]
    [InlineData("\"y1\":   2, \"y2\":   0", "\"y1\":   7, \"y2\":   0", IssueIds.InvalidValue, "stages[0].y1", "7, \"y2\":   0", "between 0 and 2")]
    public void Reader_reports_id_path_and_position(string from, string to, string id, string path, string at, string message)
    {
        string text = M0;
        Assert.Contains(from, text);
        text = text.Replace(from, to);
        var spec = ModelSpecReader.Read(text, requireWeights: false, out var issues);
        Assert.Null(spec);
        var issue = Assert.Single(issues);
        Assert.Equal(id, issue.Id);
        Assert.Equal(path, issue.Path);
        Assert.Contains(message, issue.Message);
        var (line, column) = at == "{" ? (1, 1) : PositionOf(text, at);
        Assert.Equal((line, column), (issue.Position.Line, issue.Position.Column));
    }

    [Theory]
    [InlineData("")]
    [InlineData("[")]
    [InlineData("{\"format\": \"micronet/1\", \"name\": \"x\\q\"}")]
    [InlineData("{\"a\": 1e999}")]
    [InlineData("{\"a\": 01}")]
    [InlineData("\"just a string\"")]
    [InlineData("{\"format\": \"micronet/1\"} trailing")]
    public void Malformed_documents_give_issues_not_exceptions(string text)
    {
        var spec = ModelSpecReader.Read(text, requireWeights: true, out var issues);
        Assert.Null(spec);
        Assert.NotEmpty(issues);
        Assert.All(issues, i => Assert.StartsWith("MNA", i.Id));
    }

    [Fact]
    public void Deep_nesting_is_an_issue_not_a_stack_overflow()
    {
        string text = new string('[', 100000) + new string(']', 100000);
        Assert.Null(ModelSpecReader.Read(text, requireWeights: false, out var issues));
        Assert.Contains("nests deeper", Assert.Single(issues).Message);
    }

    [Theory]
    // structural problems found while lowering: (replace, with, path, message part)
    [InlineData("\"groups\": [2, 2]", "\"groups\": [2, 3]", "stem", "must equal channels")]
    [InlineData("\"c\": 384, \"ks\":   3", "\"c\": 380, \"ks\":   3", "stages[6].c", "c must be 384")]
    [InlineData("\"g2\":   8, \"c3\":  96", "\"g2\":   7, \"c3\":  96", "stages[5].g2", "not divisible by 7")]
    public void Lowering_reports_architecture_errors_at_the_value(string from, string to, string path, string message)
    {
        string text = M0;
        Assert.Contains(from, text);
        var spec = ModelSpecReader.Read(text.Replace(from, to), requireWeights: false, out var readIssues);
        Assert.True(spec != null, string.Join("\n", readIssues));
        Assert.Null(NetworkBuilder.Build(spec!, out var issues));
        Assert.Contains(issues, i => i.Id == IssueIds.InvalidArchitecture && i.Path == path && i.Message.Contains(message));
        Assert.All(issues, i => Assert.True(i.Position.Line > 1, i.ToString()));
    }

    [Fact]
    public void Shift_max_and_shuffle_maps_are_permutations_matching_the_reference_definition()
    {
        var spec = ModelSpecReader.Read(M0, requireWeights: false, out _)!;
        var net = NetworkBuilder.Build(spec, out _)!;
        foreach (var layer in net.Layers.Where(l => l.Kind is LayerKind.ShiftMax or LayerKind.ChannelShuffle))
        {
            int[] map = layer.Kind == LayerKind.ShiftMax ? layer.ShiftIndex() : layer.ShuffleSource();
            Assert.Equal(Enumerable.Range(0, layer.Output.C), map.Order());
        }
        // M0's first shift-max (block 1, after the projection): 8 channels in 2 groups of 4; channel 0
        // pairs with group 1's second channel (5), the last channel with group 0's first (0)
        var first = net.Layers.First(l => l.Kind == LayerKind.ShiftMax);
        Assert.Equal(("features.1.layers.5", 8, 2), (first.Name, first.Output.C, first.ShiftGroups));
        Assert.Equal(new[] { 5, 6, 7, 4, 1, 2, 3, 0 }, first.ShiftIndex());
        // a shuffle with 2 groups of 4 channels interleaves: 0 4 1 5 2 6 3 7
        Assert.Equal(new[] { 0, 4, 1, 5, 2, 6, 3, 7 }, ShuffleOf(8, 2));
    }

    private static int[] ShuffleOf(int channels, int groups)
    {
        string text = M0;
        var spec = ModelSpecReader.Read(text, requireWeights: false, out _)!;
        var net = NetworkBuilder.Build(spec, out _)!;
        var layer = net.Layers.First(l => l.Kind == LayerKind.ChannelShuffle && l.Output.C == channels && l.Groups == groups);
        return layer.ShuffleSource();
    }
}
