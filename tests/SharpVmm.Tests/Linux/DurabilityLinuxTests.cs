using System.Diagnostics;
using SharpVmm.Boot.Initramfs;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Linux;

/// <summary>
/// What a Linux guest wrote and synced survives the VMM's death: the guest mounts an ext4 data disk, writes a file,
/// runs <c>sync</c> and prints a marker; the test kills the VMM with SIGKILL the moment the marker appears (nothing
/// of the VMM's shutdown runs) and finds the file intact in the image. <c>sync</c> reaches the disk as virtio-blk
/// FLUSH requests, which the VMM completes only after <c>fdatasync</c>. Needs guest user mode.
/// </summary>
[Tier(TestTiers.Linux)]
[Collection(LinuxGuestCollection.Name)]
public class DurabilityLinuxTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);
    private const string Marker = "SHARPVMM-DURABLE-SYNCED";
    private const int Lines = 5000;

    private static readonly string Init =
        "#!/bin/sh\n" +
        "mount -t proc proc /proc\n" +
        "mount -t sysfs sysfs /sys\n" +
        "mount -t devtmpfs devtmpfs /dev 2>/dev/null\n" +
        "mount -t ext4 /dev/vda /mnt || echo MOUNT-FAILED\n" +
        $"i=1; while [ $i -le {Lines} ]; do echo \"durable line $i\"; i=$((i+1)); done > /mnt/durable.txt\n" +
        "sync\n" +
        $"echo {Marker}\n" +
        "while true; do sleep 1; done\n";

    [Fact]
    public void A_file_the_guest_synced_is_intact_in_the_image_after_the_vmm_is_killed_with_sigkill()
    {
        KvmTestEnvironment.RequireKvm();
        GuestKernel.RequireGuestUserMode();
        using var dir = new TempDirectory();
        string image = dir.File("data.ext4"), initrd = dir.File("initrd.cpio");
        Ext4Image.Create(image, 16);
        File.WriteAllBytes(initrd, new BusyboxInitramfs { InitScript = Init }.ToArray());

        using var vmm = FirecrackerProcess.StartCommand(
            ["boot", "--kernel", GuestKernel.Vmlinux, "--initrd", initrd, "--mem", "128M", "--disk", image,
                "--append", GuestKernel.BaseCommandLine, "--time-limit", ((int)Limit.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        var clock = Stopwatch.StartNew();
        while (!vmm.Stdout.Contains(Marker, StringComparison.Ordinal))
        {
            Assert.False(vmm.HasExited, $"the VMM ended before the guest printed {Marker}\n{vmm.Describe()}");
            Assert.True(clock.Elapsed < Limit, $"the guest did not print {Marker} within {Limit}\n{vmm.Describe()}");
            Thread.Sleep(5);
        }

        vmm.KillNow();

        Assert.DoesNotContain("MOUNT-FAILED", vmm.Stdout, StringComparison.Ordinal);
        Ext4Image.Recover(image);
        string expected = string.Concat(Enumerable.Range(1, Lines).Select(i => $"durable line {i}\n"));
        Assert.Equal(expected, System.Text.Encoding.ASCII.GetString(Ext4Image.ReadFile(image, "/durable.txt")));
    }
}
