using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit;

/// <summary>
/// The API reference (issue 14): docs/reference/build.sh runs docfx over the eight library projects, with docfx's
/// warnings (an unresolved cref, a broken link) as errors, and writes the site to artifacts/docs/. It needs no KVM,
/// only the docfx tool from the local tool manifest.
/// </summary>
[Tier(TestTiers.Unit)]
public sealed class ApiReferenceTests
{
    private static readonly TimeSpan BuildLimit = TimeSpan.FromMinutes(5);

    [Fact]
    public void The_api_reference_builds_without_warnings_and_has_a_page_with_the_summary_of_each_core_type()
    {
        string script = Path.Combine(RepoPaths.Root, "docs", "reference", "build.sh");
        var environment = new Dictionary<string, string>();
        if (Path.IsPathRooted(CliProcess.Dotnet))
        {
            // The script calls dotnet by name: the one running the tests comes first.
            environment["PATH"] = Path.GetDirectoryName(CliProcess.Dotnet) + ":" + Environment.GetEnvironmentVariable("PATH");
        }

        var build = CliProcess.RunProgram("bash", [script], RepoPaths.Root, BuildLimit, environment);

        string[] warnings = (build.Stdout + "\n" + build.Stderr).Split('\n')
            .Where(line => line.Contains("warning", StringComparison.OrdinalIgnoreCase) && line.Trim() != "0 warning(s)")
            .ToArray();
        Assert.True(warnings.Length == 0, "docfx warned:\n" + string.Join('\n', warnings));
        Assert.Contains("artifacts/docs/index.html", build.Stdout, StringComparison.Ordinal);

        string api = Path.Combine(RepoPaths.Root, "artifacts", "docs", "api");
        AssertPageSays(Path.Combine(api, "SharpVmm.VirtualMachine.html"), "A running or runnable KVM virtual machine");
        AssertPageSays(Path.Combine(api, "SharpVmm.MicroVm.html"), "Several can live in one process.");
        AssertPageSays(Path.Combine(RepoPaths.Root, "artifacts", "docs", "index.html"), "SharpVmm.MicroVm.html");
    }

    private static void AssertPageSays(string page, string text)
    {
        Assert.True(File.Exists(page), $"{page} was not generated");
        Assert.Contains(text, File.ReadAllText(page), StringComparison.Ordinal);
    }
}
