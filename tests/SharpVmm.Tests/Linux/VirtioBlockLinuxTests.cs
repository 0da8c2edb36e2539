using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Linux;

/// <summary>
/// The guest kernel drives virtio-blk disks through both transports, with kernel-space evidence that works on any
/// host: it probes the disks (their sizes in the log), mounts an ext4 image made on the host as its root file system
/// read-write (the host then sees the mount count and last-mount time change in the image), and mounts a read-only
/// disk only read-only (its image stays byte-for-byte the same). No initramfs: the root is the disk, and with no init
/// on it the kernel panics and panic=-1 reboots through the i8042 reset line (reboot=k), which ends the run: each test
/// asserts that ending, so a guest that hangs (and is stopped by --time-limit) or triple-faults fails.
/// </summary>
[Tier(TestTiers.Linux)]
[Collection(LinuxGuestCollection.Name)]
public class VirtioBlockLinuxTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(10);

    [Theory]
    [InlineData("pci")]
    [InlineData("mmio")]
    public void The_kernel_mounts_an_ext4_disk_as_root_read_write_and_leaves_a_read_only_disk_alone(string transport)
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        string root = dir.File("root.ext4");
        Ext4Image.Create(root, 16);
        string data = dir.File("data.img");
        byte[] dataBytes = new byte[1 << 20];
        new Random(5).NextBytes(dataBytes);
        File.WriteAllBytes(data, dataBytes);
        Ext4Image.MountRecord before = Ext4Image.ReadMountRecord(root);

        CliProcess.Result run = Boot(transport, "root=/dev/vda rw rootfstype=ext4", "--disk", root, "--disk", $"{data},readonly,serial=data-disk");

        GuestEnding.AssertCliRun(run, GuestEnding.KeyboardControllerReset);
        AssertConsole(run, "[vda] 32768 512-byte logical blocks");
        if (transport == "pci")
        {
            Assert.Contains("MSI-X via KVM_SIGNAL_MSI on 2 of 2 functions", run.Stderr, StringComparison.Ordinal);
        }

        AssertConsole(run, "[vdb] 2048 512-byte logical blocks");
        AssertConsole(run, "VFS: Mounted root (ext4 filesystem) on device 254:0.");
        Ext4Image.MountRecord after = Ext4Image.ReadMountRecord(root);
        Assert.Equal(before.MountCount + 1, after.MountCount);
        Assert.Equal("n/a", before.LastMountTime);
        Assert.NotEqual("n/a", after.LastMountTime);
        Assert.Equal(dataBytes, File.ReadAllBytes(data));
    }

    [Theory]
    [InlineData("pci")]
    [InlineData("mmio")]
    public void A_read_only_disk_asked_to_be_a_read_write_root_is_mounted_read_only_and_not_written(string transport)
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        string image = dir.File("ro.ext4");
        Ext4Image.Create(image, 8);
        byte[] bytes = File.ReadAllBytes(image);

        CliProcess.Result run = Boot(transport, "root=/dev/vda rw rootfstype=ext4", "--disk", $"{image},readonly");

        GuestEnding.AssertCliRun(run, GuestEnding.KeyboardControllerReset);
        AssertConsole(run, "[vda] 16384 512-byte logical blocks");
        AssertConsole(run, "VFS: Mounted root (ext4 filesystem) readonly on device 254:0.");
        Assert.Equal(bytes, File.ReadAllBytes(image));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Without_msi_a_pci_disk_interrupts_through_intx_routed_by_the_dsdt_or_the_mp_table(bool acpi)
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        string root = dir.File("root.ext4");
        Ext4Image.Create(root, 8);

        CliProcess.Result run = acpi
            ? Boot("pci", "pci=nomsi root=/dev/vda rw rootfstype=ext4", "--disk", root)
            : Boot("pci", "pci=nomsi root=/dev/vda rw rootfstype=ext4", "--no-acpi", "--disk", root);

        GuestEnding.AssertCliRun(run, GuestEnding.KeyboardControllerReset);
        AssertConsole(run, "VFS: Mounted root (ext4 filesystem) on device 254:0.");
        Assert.Contains("MSI-X via KVM_SIGNAL_MSI on 0 of 1 functions, INTx on the others", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, Ext4Image.ReadMountRecord(root).MountCount);
    }

    [Fact]
    public void A_file_written_and_synced_in_the_guest_is_in_the_image()
    {
        KvmTestEnvironment.RequireKvm();
        GuestKernel.RequireGuestUserMode();
        using var dir = new TempDirectory();
        string rootDir = Directory.CreateDirectory(dir.File("rootfs")).FullName;
        foreach (string d in new[] { "bin", "proc", "dev", "data" })
        {
            Directory.CreateDirectory(Path.Combine(rootDir, d));
        }

        File.Copy(global::SharpVmm.Boot.Initramfs.BusyboxInitramfs.DefaultBusyboxPath, Path.Combine(rootDir, "bin", "busybox"));
        File.WriteAllText(Path.Combine(rootDir, "init"),
            "#!/bin/busybox sh\n" +
            "/bin/busybox mount -t proc proc /proc\n" +
            "/bin/busybox seq 1 20000 > /data/numbers.txt\n" +
            "/bin/busybox sync\n" +
            "echo SHARPVMM-SYNCED\n" +
            "/bin/busybox reboot -f\n");
        File.SetUnixFileMode(Path.Combine(rootDir, "init"), (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(Path.Combine(rootDir, "bin", "busybox"), (UnixFileMode)0b111_101_101);
        string image = dir.File("root.ext4");
        Ext4Image.Create(image, 16, rootDir);

        CliProcess.Result run = Boot("pci", "root=/dev/vda rw rootfstype=ext4 init=/init", "--disk", image);

        GuestEnding.AssertCliRun(run, GuestEnding.KeyboardControllerReset); // first: its message has stderr and the console
        Assert.Contains("SHARPVMM-SYNCED", run.Stdout, StringComparison.Ordinal);
        string expected = string.Concat(Enumerable.Range(1, 20000).Select(i => $"{i}\n"));
        Assert.Equal(expected, System.Text.Encoding.ASCII.GetString(Ext4Image.ReadFile(image, "/data/numbers.txt")));
    }

    private static CliProcess.Result Boot(string transport, string commandLine, params string[] devices) =>
        CliProcess.Run(
            ["boot", "--kernel", GuestKernel.Vmlinux, "--mem", "128M", "--virtio", transport, "--console", "stdio",
                "--append", $"{GuestKernel.BaseCommandLine} {commandLine}", "--time-limit", ((int)Limit.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
                .. devices],
            timeout: Limit + TimeSpan.FromMinutes(1));

    private static void AssertConsole(CliProcess.Result run, string expected) =>
        Assert.True(run.Stdout.Contains(expected, StringComparison.Ordinal), $"'{expected}' is not on the console:\n{Tail(run.Stdout)}\n{run.Stderr}");

    private static string Tail(string text) => text.Length <= 4000 ? text : text[^4000..];
}
