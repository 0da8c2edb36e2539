using System.Globalization;
using System.Text.RegularExpressions;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Linux;

/// <summary>
/// The guest kernel's console is a virtio-console (hvc0) on stdio, and its hwrng core registers virtio-rng and reads
/// it (the kernel pulls early randomness from a new hwrng), which the VMM's device counters show on the host side.
/// </summary>
[Tier(TestTiers.Linux)]
[Collection(LinuxGuestCollection.Name)]
public partial class VirtioConsoleAndEntropyLinuxTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(10);

    [Theory]
    [InlineData("pci")]
    [InlineData("mmio")]
    public void The_kernel_logs_to_hvc0_and_reads_the_virtio_rng(string transport)
    {
        KvmTestEnvironment.RequireKvm();
        string commandLine = GuestKernel.BaseCommandLine.Replace("console=ttyS0", "console=hvc0", StringComparison.Ordinal);

        CliProcess.Result run = CliProcess.Run(
            ["boot", "--kernel", GuestKernel.Vmlinux, "--mem", "128M", "--virtio", transport, "--console", "virtio", "--rng",
                "--append", commandLine, "--time-limit", ((int)Limit.TotalSeconds).ToString(CultureInfo.InvariantCulture)],
            timeout: Limit + TimeSpan.FromMinutes(1));

        GuestEnding.AssertCliRun(run, GuestEnding.KeyboardControllerReset);
        // Everything the kernel logs once virtio_console has registered hvc0 comes out on it, down to the end of
        // this boot (there is no root file system: the kernel panics and panic=-1 reboots).
        Assert.Contains("VFS: Cannot open root device", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("Kernel panic - not syncing", run.Stdout, StringComparison.Ordinal);
        Match rng = RngLine().Match(run.Stderr);
        Assert.True(rng.Success, $"no rng counters in:\n{run.Stderr}");
        Assert.True(long.Parse(rng.Groups[2].Value, CultureInfo.InvariantCulture) > 0, $"the guest read no entropy: {rng.Value}");
        Match console = ConsoleLine().Match(run.Stderr);
        Assert.True(console.Success && long.Parse(console.Groups[1].Value, CultureInfo.InvariantCulture) > 1000, $"console counters: {console.Value}");
    }

    [GeneratedRegex(@"rng: (\d+) requests, (\d+) bytes provided")]
    private static partial Regex RngLine();

    [GeneratedRegex(@"console: (\d+) bytes from the guest")]
    private static partial Regex ConsoleLine();
}
