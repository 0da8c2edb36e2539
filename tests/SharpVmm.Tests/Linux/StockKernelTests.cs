using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Linux;

/// <summary>
/// Debian's unmodified cloud kernel (guests/debian/fetch-stock-kernel.sh) boots to init. Opt-in: it takes many
/// minutes on a host that emulates guest ring 0. Set SHARPVMM_STOCK_KERNEL to the vmlinuz the script prints.
/// Results are recorded in docs/compatibility.md.
/// </summary>
[Tier(TestTiers.Linux)]
[Collection(LinuxGuestCollection.Name)]
public class StockKernelTests
{
    public const string KernelVariable = "SHARPVMM_STOCK_KERNEL";

    private static readonly TimeSpan BootLimit = TimeSpan.FromMinutes(20);

    [Fact]
    public void Debian_cloud_kernel_boots_to_init()
    {
        string? kernel = Environment.GetEnvironmentVariable(KernelVariable);
        if (string.IsNullOrEmpty(kernel))
        {
            Assert.Skip($"opt-in: set {KernelVariable} to Debian's cloud vmlinuz (guests/debian/fetch-stock-kernel.sh prints it)");
        }

        KvmTestEnvironment.RequireKvm();
        (VmRunResult result, string console) = LinuxGuestRun.Boot(kernel, "#!/bin/sh\necho SHARPVMM-STOCK-INIT\nreboot -f\n", BootLimit,
            cpus: 2, memory: 512UL << 20);

        GuestEnding.AssertRun(result, VmStopReason.GuestReset, GuestEnding.KeyboardControllerReset, console);
        Assert.Contains("Run /init as init process", console, StringComparison.Ordinal);
        Assert.Contains("smp: Brought up 1 node, 2 CPUs", console, StringComparison.Ordinal);
    }
}
