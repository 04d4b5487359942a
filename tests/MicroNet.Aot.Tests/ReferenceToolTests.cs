using System.IO;
using MicroNet.Aot.Tests.Infrastructure;
using Xunit;

namespace MicroNet.Aot.Tests;

/// <summary>The reference CLI's other commands: run and ONNX export (used by the benchmarks).</summary>
public class ReferenceToolTests
{
    [Fact]
    public void Run_writes_one_output_row_per_input_image()
    {
        string arch = TestEnv.Config("custom-mixed.json");
        string ckpt = Reference.Checkpoint(arch, 5);
        string dir = TestEnv.NewTempDir("run");
        string x = Path.Combine(dir, "x.f32"), y = Path.Combine(dir, "y.f32");
        Reference.Run("random-input", "--arch", arch, "--seed", "1", "--batch", "3", "--out", x);
        Assert.Equal(3L * 3 * 64 * 64 * 4, new FileInfo(x).Length);
        Reference.Run("run", "--arch", arch, "--checkpoint", ckpt, "--input", x, "--output", y);
        Assert.Equal(3L * 17 * 4, new FileInfo(y).Length);
    }

    [Fact]
    public void Onnx_export_passes_the_onnx_checker()
    {
        string python = Reference.RequirePython();
        var probe = TestEnv.Run(python, new[] { "-c", "import onnx" });
        TestEnv.Require(probe.ExitCode == 0, "the onnx Python package", "install Debian's python3-onnx, as test.sh does as root");
        string arch = TestEnv.Config("custom-mixed.json");
        string ckpt = Reference.Checkpoint(arch, 5);
        string onnx = Path.Combine(TestEnv.NewTempDir("onnx"), "model.onnx");
        Reference.Run("export-onnx", "--arch", arch, "--checkpoint", ckpt, "--out", onnx);
        var check = TestEnv.Run(python, new[] { "-c",
            "import onnx,sys; m=onnx.load(sys.argv[1]); onnx.checker.check_model(m); " +
            "print([d.dim_value for d in m.graph.output[0].type.tensor_type.shape.dim])", onnx });
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Contains("[1, 17]", check.Stdout);
    }
}
