using System.Diagnostics;
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

        Run(Dotnet, ["pack", project, "-c", "Release", "-o", feed, "--artifacts-path", dir.File("build"), "--nologo"], dir.Path, PackLimit);
        string package = Assert.Single(Directory.GetFiles(feed, "SharpVmm.Cli.*.nupkg"));
        string version = Path.GetFileNameWithoutExtension(package)["SharpVmm.Cli.".Length..];
        // A package cache of its own, so that an older SharpVmm.Cli of the same version cached by an earlier run is not
        // what gets installed.
        var cache = new Dictionary<string, string> { ["NUGET_PACKAGES"] = dir.File("nuget-packages") };
        Run(Dotnet, ["tool", "install", "--tool-path", tools, "SharpVmm.Cli", "--version", version, "--add-source", feed], dir.Path, InstallLimit, cache);
        var demo = Run(Path.Combine(tools, "sharpvmm"), ["demo", "add"], dir.Path, InstallLimit);

        Assert.Equal("4\nKVM_EXIT_HLT\n", demo.Stdout);
    }

    /// <summary>The dotnet host running the tests, else the one on PATH.</summary>
    private static string Dotnet => Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";

    private static CliProcess.Result Run(string file, string[] args, string workingDirectory, TimeSpan limit,
        IDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(file, args)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (Path.IsPathRooted(Dotnet) && Environment.GetEnvironmentVariable("DOTNET_ROOT") is null)
        {
            // the installed tool's apphost finds the runtime through DOTNET_ROOT when dotnet is not in a standard place
            psi.Environment["DOTNET_ROOT"] = Path.GetDirectoryName(Dotnet);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }

        using var process = Process.Start(psi)!;
        var result = CliProcess.Collect(process, $"{file} {string.Join(' ', args)}", limit);
        Assert.True(result.ExitCode == 0, $"{file} {string.Join(' ', args)} exited with {result.ExitCode}:\n{result.Stdout}\n{result.Stderr}");
        return result;
    }
}
