using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Linux;

/// <summary>
/// The guest kernel's virtio-net driver over a TAP in a network namespace the test makes for itself (host end
/// 10.0.2.2/24). Kernel space, on any host: with <c>ip=dhcp</c> the kernel gets its address from a DHCP server
/// (busybox udhcpd) on the host end, which takes a frame each way. Where guest user mode runs, a TCP transfer of
/// several MB from the guest arrives intact.
/// </summary>
[Tier(TestTiers.Linux)]
[Collection(LinuxGuestCollection.Name)]
public class VirtioNetLinuxTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(10);
    private const string Tap = "tap0";
    private const string GuestMac = "52:54:00:12:34:56";

    [Theory]
    [InlineData("pci")]
    [InlineData("mmio")]
    public void The_kernel_gets_its_address_from_a_dhcp_server_on_the_tap(string transport)
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        using var ns = NetworkNamespace.Create();
        ns.AddTap(Tap, "10.0.2.2/24");
        using BackgroundProcess dhcp = DhcpServer.Start(ns, dir, Tap);

        CliProcess.Result run = CliProcess.Run(
            ["boot", "--kernel", GuestKernel.Vmlinux, "--mem", "128M", "--virtio", transport, "--net", $"tap={Tap},mac={GuestMac}",
                "--append", $"{GuestKernel.BaseCommandLine} ip=dhcp", "--time-limit", Seconds(Limit)],
            timeout: Limit + TimeSpan.FromMinutes(1), wrapper: ns.Exec);

        Assert.False(dhcp.HasExited, "udhcpd exited early (is busybox's udhcpd applet there?)");
        GuestEnding.AssertCliRun(run, GuestEnding.KeyboardControllerReset); // no root file system: panic, then panic=-1 reboots
        Assert.Contains("IP-Config: Got DHCP answer from 10.0.2.2, my address is 10.0.2.15", run.Stdout, StringComparison.Ordinal);
        Assert.Contains($"hwaddr={GuestMac}", run.Stdout, StringComparison.Ordinal);
        Assert.True(Counter(ns, "rx_packets") >= 2, "the host end received fewer than two frames (DISCOVER, REQUEST) from the guest");
        Assert.True(Counter(ns, "tx_packets") >= 2, "the host end sent fewer than two frames (OFFER, ACK) to the guest");
    }

    [Fact]
    public void A_vm_described_by_a_config_file_mounts_its_root_disk_and_gets_its_address_by_dhcp()
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        using var ns = NetworkNamespace.Create();
        ns.AddTap(Tap, "10.0.2.2/24");
        using BackgroundProcess dhcp = DhcpServer.Start(ns, dir, Tap);
        string root = dir.File("root.ext4");
        Ext4Image.Create(root, 16);
        Ext4Image.MountRecord before = Ext4Image.ReadMountRecord(root);
        string config = dir.File("vm.json");
        File.WriteAllText(config, $$"""
            {
              "boot-source": { "kernel_image_path": "{{GuestKernel.Vmlinux}}", "boot_args": "{{GuestKernel.BaseCommandLine}} ip=dhcp rootfstype=ext4" },
              "machine-config": { "vcpu_count": 1, "mem_size_mib": 128 },
              "drives": [ { "drive_id": "rootfs", "path_on_host": "{{root}}", "is_root_device": true, "is_read_only": false } ],
              "network-interfaces": [ { "iface_id": "eth0", "host_dev_name": "{{Tap}}", "guest_mac": "{{GuestMac}}" } ]
            }
            """);

        CliProcess.Result run = CliProcess.Run(["boot", "--config-file", config, "--time-limit", Seconds(Limit)],
            timeout: Limit + TimeSpan.FromMinutes(1), wrapper: ns.Exec);

        GuestEnding.AssertCliRun(run, GuestEnding.KeyboardControllerReset); // no init on the disk: panic, then panic=-1 reboots
        Assert.Contains("root=/dev/vda rw", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("IP-Config: Got DHCP answer from 10.0.2.2, my address is 10.0.2.15", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("VFS: Mounted root (ext4 filesystem) on device 254:0.", run.Stdout, StringComparison.Ordinal);
        Assert.Equal(before.MountCount + 1, Ext4Image.ReadMountRecord(root).MountCount);
    }

    [Fact]
    public void A_tcp_transfer_of_several_megabytes_from_the_guest_arrives_intact()
    {
        KvmTestEnvironment.RequireKvm();
        GuestKernel.RequireGuestUserMode();
        if (Environment.GetEnvironmentVariable("SHARPVMM_NESTED_VM") == "1")
        {
            // Under QEMU's TCG this transfer crashed the guest kernel in its entry code (a fault with a user GS on
            // the entry trampoline, "Fatal exception in interrupt") in 2 of about 10 runs, and once the nested VM's own
            // kernel: docs/testing.md, "The TCP transfer in nested KVM". Reported as skipped there, never as passed.
            Assert.Skip("in nested KVM (QEMU TCG) this heavy transfer crashes guest kernels in their entry code; it runs where KVM is the host's own");
        }

        using var ns = NetworkNamespace.Create();
        ns.AddTap(Tap, "10.0.2.2/24");
        using TcpListener listener = ns.RunInside(() =>
        {
            var l = new TcpListener(IPAddress.Parse("10.0.2.2"), 5555);
            l.Start();
            return l;
        });
        long receivedBytes = -1;
        byte[] receivedHash = [];
        var receiver = new Thread(() =>
        {
            using TcpClient client = listener.AcceptTcpClient();
            using NetworkStream stream = client.GetStream();
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            byte[] buffer = new byte[65536];
            long total = 0;
            int n;
            while ((n = stream.Read(buffer)) > 0)
            {
                sha.AppendData(buffer, 0, n);
                total += n;
            }

            receivedHash = sha.GetHashAndReset();
            receivedBytes = total;
        }) { IsBackground = true };
        receiver.Start();
        const int Lines = 1_000_000;
        string init =
            "#!/bin/sh\n" +
            "mount -t proc proc /proc\n" +
            $"seq 1 {Lines} | nc 10.0.2.2 5555\n" +
            "echo SHARPVMM-SENT\n" +
            "reboot -f\n";
        using var dir = new TempDirectory();
        string initramfs = dir.File("initramfs.cpio");
        File.WriteAllBytes(initramfs, new global::SharpVmm.Boot.Initramfs.BusyboxInitramfs { InitScript = init }.ToArray());

        CliProcess.Result run = CliProcess.Run(
            ["boot", "--kernel", GuestKernel.Vmlinux, "--initrd", initramfs, "--mem", "256M", "--net", $"tap={Tap}",
                "--append", $"{GuestKernel.BaseCommandLine} ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off", "--time-limit", Seconds(Limit)],
            timeout: Limit + TimeSpan.FromMinutes(1), wrapper: ns.Exec);

        GuestEnding.AssertCliRun(run, GuestEnding.KeyboardControllerReset); // init's reboot -f
        Assert.True(run.Stdout.Contains("SHARPVMM-SENT", StringComparison.Ordinal),
            $"init never said it had sent the stream; console tail:\n{(run.Stdout.Length > 3000 ? run.Stdout[^3000..] : run.Stdout)}\n--- stderr ---\n{run.Stderr}");
        Assert.True(receiver.Join(TimeSpan.FromSeconds(30)), "the host never saw the end of the guest's TCP stream");
        byte[] expected = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(1, Lines).Select(i => $"{i}\n")));
        Assert.Equal(expected.LongLength, receivedBytes);
        Assert.Equal(SHA256.HashData(expected), receivedHash);
    }

    private static long Counter(NetworkNamespace ns, string name) =>
        long.Parse(ns.Run("cat", $"/sys/class/net/{Tap}/statistics/{name}").Trim(), CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan t) => ((int)t.TotalSeconds).ToString(CultureInfo.InvariantCulture);
}
