using System.Globalization;
using System.Text.RegularExpressions;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Kvm;

/// <summary>
/// The test kernel as a hostile guest (<c>hostile=1</c>, guests/testkernel/hostile.c) against a VMM with every kind of
/// virtio device. It writes 0, all ones, the top bit and the rest at every width to the I/O ports (all below 0x1000,
/// every 64th above), every virtio-mmio register, every PCI configuration register and every memory BAR (moved first,
/// also over RAM); it hands fw_cfg DMA descriptors that point past RAM; it gives each device's virtqueues rings beyond
/// 4 GiB, then rings whose avail index claims 65 535 requests, and notifies them. The VMM must come through all of it
/// and end the run with the exit the guest asks for afterwards, and each device given broken rings must have said so
/// with DEVICE_NEEDS_RESET rather than stopping anything.
/// </summary>
[Tier(TestTiers.KvmFast)]
public class HostileGuestTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);
    private static readonly Regex Done = new(@"hostile done: (\d+) writes, (\d+) reads, (\d+) PCI functions, (\d+) virtio-mmio devices, (\d+) of (\d+) devices with broken rings reported DEVICE_NEEDS_RESET");

    [Theory]
    [InlineData("pci")]
    [InlineData("mmio")]
    public void The_vmm_survives_extreme_values_in_every_port_and_device_register_and_broken_rings_only_break_their_device(string transport)
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        string disk = dir.File("disk.img");
        File.WriteAllBytes(disk, new byte[1 << 20]);
        using var ns = NetworkNamespace.Create();
        ns.AddTap("tap0", "10.0.2.2/24");

        CliProcess.Result result = CliProcess.Run(
        [
            "boot", "--kernel", TestKernel.Path, "--mem", "128M", "--virtio", transport, "--time-limit", "280",
            "--disk", disk, "--rng", "--net", "tap=tap0", "--balloon", "amount_mib=0", "--vsock", $"cid=3,uds={dir.File("vsock")}",
            "--append", "mem=128 cpus=1 hostile=1 exit=debug",
        ], timeout: Limit, wrapper: ns.Exec);

        string describe = $"--- stdout ---\n{result.Stdout}\n--- stderr ---\n{result.Stderr}";
        Assert.True(result.ExitCode == 33, $"exit code {result.ExitCode}, expected 33 (the guest's isa-debug-exit after the storm)\n{describe}");
        Assert.DoesNotContain("FAIL:", result.Stdout, StringComparison.Ordinal);
        Match done = Done.Match(result.Stdout);
        Assert.True(done.Success, $"no 'hostile done' line\n{describe}");
        int Count(int group) => int.Parse(done.Groups[group].Value, CultureInfo.InvariantCulture);
        Assert.True(Count(1) > 90_000, $"only {Count(1)} writes");
        Assert.Equal(transport == "pci" ? 6 : 0, Count(3)); // the host bridge and five virtio functions; none over MMIO
        Assert.Equal(transport == "mmio" ? 5 : 0, Count(4));
        Assert.True(Count(6) == 5, $"{Count(6)} devices were given broken rings, expected all five\n{describe}");
        Assert.True(Count(5) == Count(6), $"{Count(6) - Count(5)} devices did not report their broken rings with DEVICE_NEEDS_RESET\n{describe}");
    }
}
