using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Cli;

/// <summary>
/// samples/GuestFunction, built the way a user builds it: against the packages <c>dotnet pack</c> makes (from a feed of
/// their own, never the tree's projects), restored into an empty package cache. It calls a guest function 200 times,
/// passing input and output through guest memory.
/// </summary>
[Tier(TestTiers.KvmFast)]
public class SamplePackageTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(4);

    [Fact]
    public void The_guest_function_sample_builds_against_the_packages_and_upper_cases_through_guest_memory()
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        string feed = dir.File("feed");
        CliProcess.RunProgram(CliProcess.Dotnet, ["pack", Path.Combine(RepoPaths.Root, "SharpVmm.slnx"), "-c", "Release", "-o", feed, "--artifacts-path", dir.File("build"), "--nologo"], dir.Path, Limit);
        string package = Assert.Single(Directory.GetFiles(feed, "SharpVmm.*.nupkg"), f => char.IsAsciiDigit(Path.GetFileName(f)["SharpVmm.".Length]));
        string version = Path.GetFileNameWithoutExtension(package)["SharpVmm.".Length..];

        // The sample as a user would have it, next to a nuget.config naming this feed.
        string samples = dir.File("samples");
        CopyTree(Path.Combine(RepoPaths.Root, "samples"), samples);
        string config = File.ReadAllText(Path.Combine(samples, "nuget.config")).Replace("../artifacts/packages", feed, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(samples, "nuget.config"), config);
        var run = CliProcess.RunProgram(CliProcess.Dotnet, ["run", "--project", Path.Combine(samples, "GuestFunction"), "-c", "Release", $"-p:SharpVmmVersion={version}", "--", "200"], samples, Limit,
            new Dictionary<string, string> { ["NUGET_PACKAGES"] = dir.File("nuget-packages") });

        Assert.Contains("HELLO FROM .NET, THROUGH GUEST MEMORY", run.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"200 calls, \d+\.\d us per call", run.Stdout);
        Assert.EndsWith("StopRequested\n", run.Stdout, StringComparison.Ordinal);
    }

    private static void CopyTree(string from, string to)
    {
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(from, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            {
                continue;
            }

            string target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
