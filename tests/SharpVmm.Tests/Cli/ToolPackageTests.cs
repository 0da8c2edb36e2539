using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Cli;

/// <summary>
/// The CLI as a .NET tool: <c>dotnet pack</c> makes the package, <c>dotnet tool install</c> installs it from a local
/// feed (tests/build-packages.sh, in a folder of its own), and the installed <c>sharpvmm</c> runs demo 1.
/// </summary>
[Tier(TestTiers.KvmFast)]
public class ToolPackageTests
{
    private static readonly TimeSpan RunLimit = TimeSpan.FromMinutes(1);

    [Fact]
    public void The_packed_cli_installs_as_a_dotnet_tool_whose_sharpvmm_demo_add_prints_4()
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        string tools = PackageArtifacts.Get("tool", dir.Path);

        Assert.True(Directory.Exists(Path.Combine(tools, ".store", "sharpvmm.cli")), $"no tool store under {tools}");
        var demo = CliProcess.RunProgram(Path.Combine(tools, "sharpvmm"), ["demo", "add"], dir.Path, RunLimit);

        Assert.Equal("4\nKVM_EXIT_HLT\n", demo.Stdout);
    }
}
