namespace SharpVmm.Tests.Support;

/// <summary>
/// What tests/build-packages.sh builds for the package tests: the CLI installed as a .NET tool (<c>tool/</c>) and
/// samples/GuestFunction built against the packed packages (<c>sample/</c>). The script needs the .NET SDK, not KVM.
/// Inside tools/nested-kvm, whose VM has only the runtime, ./run-tests runs it on the host beforehand and names the
/// folder in SHARPVMM_PACKAGE_ARTIFACTS; anywhere else the test runs it itself, into a folder of its own.
/// </summary>
public static class PackageArtifacts
{
    public const string Variable = "SHARPVMM_PACKAGE_ARTIFACTS";

    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(8); // two packs and a restore and build

    /// <summary>The folder holding <paramref name="what"/> ("tool" or "sample"), built into <paramref name="scratch"/>
    /// unless the host built it already.</summary>
    public static string Get(string what, string scratch)
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } prebuilt)
        {
            string dir = Path.Combine(prebuilt, what);
            Xunit.Assert.True(Directory.Exists(dir), $"{Variable}={prebuilt} has no {what}/ (tests/build-packages.sh all DIR builds it)");
            return dir;
        }

        CliProcess.RunProgram("bash", [Path.Combine(RepoPaths.Root, "tests", "build-packages.sh"), what, scratch], scratch, Limit);
        return Path.Combine(scratch, what);
    }
}
