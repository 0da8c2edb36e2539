using System.Diagnostics;
using Xunit;

namespace SharpVmm.Tests.Support;

/// <summary>
/// guests/sock-tool, the static program the vsock and network tests put into a guest's initramfs: built once per test
/// run with its build.sh, or taken prebuilt from <see cref="PrebuiltVariable"/> (the nested-KVM VM has no compiler).
/// </summary>
public static class GuestTools
{
    private static readonly Lazy<string> Built = new(Build);

    /// <summary>Set to a prebuilt sock-tool to use it instead of building one.</summary>
    public const string PrebuiltVariable = "SHARPVMM_SOCK_TOOL";

    /// <summary>The sock-tool binary (built on first use).</summary>
    public static string SockTool => Built.Value;

    private static string Build()
    {
        if (Environment.GetEnvironmentVariable(PrebuiltVariable) is { Length: > 0 } prebuilt)
        {
            Assert.True(File.Exists(prebuilt), $"{PrebuiltVariable}={prebuilt}: no such file");
            return prebuilt;
        }

        Assert.True(TestKernel.OnPath("gcc"), $"'gcc' is not on PATH: building guests/sock-tool needs it (or set {PrebuiltVariable} to a prebuilt one)");
        string output = Path.Combine(Directory.CreateTempSubdirectory("sharpvmm-sock-tool-").FullName, "sock-tool");
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(RepoPaths.Root, "guests", "sock-tool", "build.sh"));
        psi.ArgumentList.Add(output);
        CliProcess.Result build = CliProcess.Collect(Process.Start(psi)!, "guests/sock-tool/build.sh", TimeSpan.FromSeconds(60));
        Assert.True(build.ExitCode == 0 && File.Exists(output), $"guests/sock-tool/build.sh failed (exit {build.ExitCode})\n{build.Stdout}{build.Stderr}");
        return output;
    }
}
