using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Cli;

/// <summary>
/// samples/GuestFunction, built the way a user builds it: against the packages <c>dotnet pack</c> makes (from a feed of
/// their own, never the tree's projects), restored into an empty package cache (tests/build-packages.sh). It calls a
/// guest function 200 times, passing input and output through guest memory.
/// </summary>
[Tier(TestTiers.KvmFast)]
public class SamplePackageTests
{
    private static readonly TimeSpan RunLimit = TimeSpan.FromMinutes(2);

    [Fact]
    public void The_guest_function_sample_builds_against_the_packages_and_upper_cases_through_guest_memory()
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        string sample = PackageArtifacts.Get("sample", dir.Path);

        // The sample references SharpVmm as a package; the build puts that copy beside it.
        Assert.True(File.Exists(Path.Combine(sample, "SharpVmm.dll")), $"no SharpVmm.dll in {sample}");
        var run = CliProcess.RunProgram(CliProcess.Dotnet, [Path.Combine(sample, "GuestFunction.dll"), "200"], dir.Path, RunLimit);

        Assert.Contains("HELLO FROM .NET, THROUGH GUEST MEMORY", run.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"200 calls, \d+\.\d us per call", run.Stdout);
        Assert.EndsWith("StopRequested\n", run.Stdout, StringComparison.Ordinal);
    }
}
