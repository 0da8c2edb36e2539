using System.Diagnostics;
using Xunit;

namespace SharpVmm.Tests.Support;

/// <summary>
/// guests/testkernel, the project's Multiboot v1 test kernel: built once per test run with its build.sh, or taken
/// prebuilt from <see cref="PrebuiltVariable"/>. Its command line (<c>mem=128 cpus=2 exit=debug</c>, ...) says what it
/// checks and how it ends; it prints <see cref="OkLines"/> on COM1 when its checks pass.
/// </summary>
public static class TestKernel
{
    private static readonly Lazy<string> Built = new(Build);

    /// <summary>The lines a run with 2 vCPUs prints when every check passed.</summary>
    public static readonly IReadOnlyList<string> OkLines = ["fw_cfg ok", "acpi ok", "pmtimer ok", "AP 1 up", "smp ok 2 cpus"];

    /// <summary>The kernel file (built on first use).</summary>
    public static string Path => Built.Value;

    /// <summary>Set to a prebuilt test kernel to use it instead of building one (on a host without as/ld/gcc, such as the nested-KVM VM).</summary>
    public const string PrebuiltVariable = "SHARPVMM_TEST_KERNEL";

    /// <summary>Builds the kernel once per test run with guests/testkernel/build.sh into a temporary folder.</summary>
    private static string Build()
    {
        if (Environment.GetEnvironmentVariable(PrebuiltVariable) is { Length: > 0 } prebuilt)
        {
            Assert.True(File.Exists(prebuilt), $"{PrebuiltVariable}={prebuilt}: no such file");
            return prebuilt;
        }

        foreach (string tool in new[] { "as", "ld", "gcc" })
        {
            if (!OnPath(tool))
            {
                Assert.Fail($"'{tool}' is not on PATH: building guests/testkernel needs binutils (as, ld) and gcc (or set {PrebuiltVariable} to a prebuilt kernel)");
            }
        }

        string dir = Directory.CreateTempSubdirectory("sharpvmm-testkernel-").FullName;
        string output = System.IO.Path.Combine(dir, "testkernel");
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(System.IO.Path.Combine(RepoPaths.Root, "guests", "testkernel", "build.sh"));
        psi.ArgumentList.Add(output);
        using var process = Process.Start(psi)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("guests/testkernel/build.sh did not finish within 60 s");
        }

        if (process.ExitCode != 0 || !File.Exists(output))
        {
            Assert.Fail($"guests/testkernel/build.sh failed (exit {process.ExitCode})\n{stdout.Result}{stderr.Result}");
        }

        return output;
    }

    internal static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(d => File.Exists(System.IO.Path.Combine(d, tool)));
}
