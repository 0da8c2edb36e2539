using SharpVmm.Boot.Initramfs;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Linux;

/// <summary>
/// What the API does to a Linux guest that runs: a drive's backing file swapped with <c>PATCH /drives</c> (the guest
/// sees the new size after the configuration-change interrupt), and <c>SendCtrlAltDel</c>, which reboots the guest and
/// so ends the process. The guest's /init prints its disk's size every half second; it needs guest user mode.
/// </summary>
[Tier(TestTiers.Linux)]
[Collection(LinuxGuestCollection.Name)]
public class FirecrackerApiRunningGuestTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);

    private const string Init = """
        #!/bin/sh
        mount -t proc proc /proc
        mount -t sysfs sysfs /sys
        echo 1 > /proc/sys/kernel/ctrl-alt-del
        while true; do echo "vda-size $(cat /sys/block/vda/size)"; sleep 0.5; done
        """;

    [Fact]
    public void A_drive_swapped_after_start_shows_its_new_size_and_ctrl_alt_del_reboots_the_guest()
    {
        KvmTestEnvironment.RequireKvm();
        GuestKernel.RequireGuestUserMode();
        using var dir = new TempDirectory();
        string small = dir.File("small.img"), large = dir.File("large.img"), initrd = dir.File("initrd.cpio");
        File.WriteAllBytes(small, new byte[1 << 20]);
        File.WriteAllBytes(large, new byte[2 << 20]);
        File.WriteAllBytes(initrd, new BusyboxInitramfs { InitScript = Init }.ToArray());
        using var fc = FirecrackerProcess.Start(dir, id: "running-guest");

        fc.StartLinuxGuest(initrd, small);
        fc.WaitForConsole("vda-size 2048", Limit);

        fc.Expect(204, "PATCH", "/drives/data", $$"""{ "drive_id": "data", "path_on_host": "{{large}}" }""");
        fc.WaitForConsole("vda-size 4096", Limit);
        fc.Expect(204, "PUT", "/actions", """{ "action_type": "SendCtrlAltDel" }""");
        int exit = fc.WaitForExit(Limit);

        Assert.True(exit == 0, $"exit code {exit}, expected 0 (the guest's reboot)\n{fc.Describe()}");
        Assert.Contains(GuestEnding.KeyboardControllerReset, fc.Stderr, StringComparison.Ordinal);
    }
}
