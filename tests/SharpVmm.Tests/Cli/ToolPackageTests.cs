using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Cli;

/// <summary>
/// The CLI as a .NET tool: <c>dotnet pack</c> makes the package, <c>dotnet tool install</c> installs it from a local
/// feed, and the installed <c>sharpvmm</c> runs demo 1. The pack builds in a folder of its own (<c>--artifacts-path</c>),
/// so it neither reads nor disturbs the tree's bin and obj folders.
/// </summary>
[Tier(TestTiers.KvmFast)]
public class ToolPackageTests
{
    private static readonly TimeSpan PackLimit = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan InstallLimit = TimeSpan.FromMinutes(1);

    [Fact]
    public void The_packed_cli_installs_as_a_dotnet_tool_whose_sharpvmm_demo_add_prints_4()
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        string feed = dir.File("feed");
        string tools = dir.File("tools");
        string project = Path.Combine(RepoPaths.Root, "src", "SharpVmm.Cli", "SharpVmm.Cli.csproj");

        CliProcess.RunProgram(CliProcess.Dotnet, ["pack", project, "-c", "Release", "-o", feed, "--artifacts-path", dir.File("build"), "--nologo"], dir.Path, PackLimit);
        string package = Assert.Single(Directory.GetFiles(feed, "SharpVmm.Cli.*.nupkg"));
        string version = Path.GetFileNameWithoutExtension(package)["SharpVmm.Cli.".Length..];
        // A package cache of its own, so that an older SharpVmm.Cli of the same version cached by an earlier run is not
        // what gets installed.
        var cache = new Dictionary<string, string> { ["NUGET_PACKAGES"] = dir.File("nuget-packages") };
        CliProcess.RunProgram(CliProcess.Dotnet, ["tool", "install", "--tool-path", tools, "SharpVmm.Cli", "--version", version, "--add-source", feed], dir.Path, InstallLimit, cache);
        var demo = CliProcess.RunProgram(Path.Combine(tools, "sharpvmm"), ["demo", "add"], dir.Path, InstallLimit);

        Assert.Equal("4\nKVM_EXIT_HLT\n", demo.Stdout);
    }
}
