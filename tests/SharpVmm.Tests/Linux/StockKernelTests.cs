using SharpVmm.Boot.Initramfs;
using SharpVmm.Platform;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Linux;

/// <summary>
/// Debian's unmodified cloud kernel (guests/debian/fetch-stock-kernel.sh) boots to init. Opt-in: it takes many
/// minutes on a host that emulates guest ring 0. Set SHARPVMM_STOCK_KERNEL to the vmlinuz the script prints.
/// Results are recorded in docs/compatibility.md.
/// </summary>
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
        var serial = new SerialCapture();
        var builder = new VirtualMachineBuilder().WithMemory(512UL << 20).WithVcpus(2);
        PcPlatform.AddTo(builder, serial);
        using VirtualMachine vm = builder.Build();
        DirectKernelBoot.Prepare(vm, new KernelBootOptions
        {
            Kernel = File.ReadAllBytes(kernel),
            KernelName = kernel,
            Initrd = new BusyboxInitramfs { InitScript = "#!/bin/sh\necho SHARPVMM-STOCK-INIT\nreboot -f\n" }.ToArray(),
            CommandLine = DirectKernelBoot.CommandLineFor(GuestKernel.BaseCommandLine),
        });
        VmRunResult result = vm.Run(new VmRunOptions { TimeLimit = BootLimit });
        string console = serial.Text;

        Assert.True(result.Reason == VmStopReason.GuestReset, $"ended with {result.Reason}: {result.Summary}\n{console[^Math.Min(console.Length, 4000)..]}\n{result.Report}");
        Assert.Contains("Run /init as init process", console, StringComparison.Ordinal);
        Assert.Contains("smp: Brought up 1 node, 2 CPUs", console, StringComparison.Ordinal);
    }
}
