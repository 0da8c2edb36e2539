using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Linux;

/// <summary>
/// The project's Linux kernel configured and started through Firecracker's API, as Firecracker's getting-started guide
/// does it with curl: a root ext4 drive and a network interface on a TAP in the test's own network namespace (the
/// <c>sharpvmm firecracker</c> process runs inside it), with a DHCP server on the TAP's host end. The disk has no init,
/// so the kernel panics after mounting it and <c>panic=-1</c> reboots, which ends the process with exit code 0.
/// </summary>
[Tier(TestTiers.Linux)]
[Collection(LinuxGuestCollection.Name)]
public class FirecrackerApiLinuxTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(10);
    private const string Tap = "tap0";
    private const string GuestMac = "06:00:0a:00:02:0f";

    [Fact]
    public void A_kernel_started_through_the_api_mounts_its_ext4_root_drive_and_gets_its_address_by_dhcp()
    {
        KvmTestEnvironment.RequireKvm();
        string kernel = GuestKernel.Vmlinux;
        using var dir = new TempDirectory();
        using var ns = NetworkNamespace.Create();
        ns.AddTap(Tap, "10.0.2.2/24");
        using BackgroundProcess dhcp = DhcpServer.Start(ns, dir, Tap);
        string root = dir.File("root.ext4");
        Ext4Image.Create(root, 16);
        Ext4Image.MountRecord before = Ext4Image.ReadMountRecord(root);
        using var fc = FirecrackerProcess.Start(dir, id: "linux-api", wrapper: ns.Exec);

        fc.Expect(204, "PUT", "/machine-config", """{ "vcpu_count": 1, "mem_size_mib": 128 }""");
        fc.Expect(204, "PUT", "/boot-source",
            $$"""{ "kernel_image_path": "{{kernel}}", "boot_args": "{{GuestKernel.BaseCommandLine}} ip=dhcp rootfstype=ext4" }""");
        fc.Expect(204, "PUT", "/drives/rootfs", $$"""{ "drive_id": "rootfs", "path_on_host": "{{root}}", "is_root_device": true, "is_read_only": false }""");
        fc.Expect(204, "PUT", "/network-interfaces/eth0", $$"""{ "iface_id": "eth0", "host_dev_name": "{{Tap}}", "guest_mac": "{{GuestMac}}" }""");
        fc.Expect(204, "PUT", "/actions", """{ "action_type": "InstanceStart" }""");
        Assert.Equal("Running", fc.Expect(200, "GET", "/").String("state"));
        int exit = fc.WaitForExit(Limit);

        Assert.False(dhcp.HasExited, "udhcpd exited early (is busybox's udhcpd applet there?)");
        Assert.True(exit == 0, $"exit code {exit}, expected 0 (the kernel's reboot after its panic)\n{fc.Describe()}");
        Assert.True(fc.Stdout.Contains("VFS: Mounted root (ext4 filesystem) on device 254:0.", StringComparison.Ordinal), $"the console does not show the ext4 root mounted\n{fc.Describe()}");
        // busybox's udhcpd picks the address in its pool from a hash of the client's MAC: any of 10.0.2.15-20 is right.
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(fc.Stdout, @"IP-Config: Got DHCP answer from 10\.0\.2\.2, my address is 10\.0\.2\.(1[5-9]|20)\b"),
            $"the console shows no DHCP answer from the TAP's host end\n{fc.Describe()}");
        Assert.True(fc.Stdout.Contains($"hwaddr={GuestMac}", StringComparison.Ordinal), $"the console does not show the card's MAC\n{fc.Describe()}");
        Assert.Equal(before.MountCount + 1, Ext4Image.ReadMountRecord(root).MountCount);
    }
}
