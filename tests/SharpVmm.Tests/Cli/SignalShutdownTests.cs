using SharpVmm.Cli;
using SharpVmm.Tests.Kvm;
using SharpVmm.Tests.Kvm.Snapshot;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Cli;

/// <summary>
/// SIGTERM and SIGINT end <c>sharpvmm boot</c> and <c>sharpvmm run</c> in order: the vCPUs stop, the disk requests in
/// flight finish, every writable disk is synced, and the process exits with <see cref="ExitCodes.StoppedBySignal"/>,
/// saying which signal stopped it. <c>sharpvmm firecracker</c> syncs its disks on the same signals.
/// </summary>
[Tier(TestTiers.KvmFast)]
public class SignalShutdownTests
{
    private const int SigInt = 2;
    private const int SigTerm = 15;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public void Sigterm_stops_boot_with_a_busy_disk_with_the_signal_exit_code_and_the_guests_pattern_is_on_disk()
    {
        KvmTestEnvironment.RequireKvm();
        string kernel = TestKernel.Path;
        using var dir = new TempDirectory();
        string image = ZeroedDisk(dir);

        // exit=count reads sector 0 every 20 ms, forever: the disk is busy when the signal comes.
        using var vmm = FirecrackerProcess.StartCommand(BootWithDisk(kernel, image, "rw"));
        CountingOutput.WaitFor(() => vmm.Stdout, "disk SHARPVMM", vmm.Describe);
        vmm.Signal(SigTerm);
        int exit = vmm.WaitForExit(Patience);

        Assert.True(exit == ExitCodes.StoppedBySignal, $"exit code {exit} after SIGTERM, expected {ExitCodes.StoppedBySignal}\n{vmm.Describe()}");
        Assert.Contains("virtio-blk ok", vmm.Stdout, StringComparison.Ordinal);
        Assert.Contains("stopped by SIGTERM", vmm.Stderr, StringComparison.Ordinal);
        Assert.Contains("1 writable disk(s) synced", vmm.Stderr, StringComparison.Ordinal);
        byte[] bytes = File.ReadAllBytes(image);
        Assert.Equal(TestKernelTests.SectorPattern(), bytes[..(TestKernelTests.PatternSectors * 512)]);
    }

    [Theory]
    [InlineData(SigInt, "SIGINT")]
    [InlineData(SigTerm, "SIGTERM")]
    public void A_signal_stops_run_of_a_looping_guest_with_the_signal_exit_code(int signal, string name)
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        string config = dir.File("vm.json");
        File.WriteAllText(config, CountingOutput.CounterGuestConfig);

        using var vmm = FirecrackerProcess.StartCommand(["run", "--config-file", config]);
        CountingOutput.WaitForLines(() => vmm.Stdout, 3, vmm.Describe);
        vmm.Signal(signal);
        int exit = vmm.WaitForExit(Patience);

        Assert.True(exit == ExitCodes.StoppedBySignal, $"exit code {exit} after {name}, expected {ExitCodes.StoppedBySignal}\n{vmm.Describe()}");
        Assert.Contains($"stopped by {name}", vmm.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Sigterm_makes_sharpvmm_firecracker_and_sharpvmm_restore_sync_the_guests_disk_before_they_exit()
    {
        KvmTestEnvironment.RequireKvm();
        string kernel = TestKernel.Path;
        using var dir = new TempDirectory();
        string image = ZeroedDisk(dir);
        string config = dir.File("vm.json"), state = dir.File("vm.snap"), memory = dir.File("vm.mem");
        File.WriteAllText(config, CountingKernelConfig(kernel, image));

        using (var fc = FirecrackerProcess.Start(dir, id: "durable", extra: ["--config-file", config]))
        {
            CountingOutput.WaitFor(() => fc.Stdout, "disk SHARPVMM", fc.Describe);
            fc.Expect(204, "PATCH", "/vm", """{ "state": "Paused" }""");
            fc.Expect(204, "PUT", "/snapshot/create", $$"""{ "snapshot_type": "Full", "snapshot_path": "{{state}}", "mem_file_path": "{{memory}}" }""");
            fc.Signal(SigTerm);
            AssertSyncedAndEnded(fc, "sharpvmm firecracker");
        }

        Assert.Equal(TestKernelTests.SectorPattern(), File.ReadAllBytes(image)[..(TestKernelTests.PatternSectors * 512)]);
        string socket = dir.File("restored.sock");
        using var restored = FirecrackerProcess.StartWith(["restore", "--snapshot", state, "--mem-file", memory, "--api-sock", socket], socket);
        CountingOutput.WaitForLines(() => restored.Stdout, 3, restored.Describe);
        restored.Signal(SigTerm);
        AssertSyncedAndEnded(restored, "sharpvmm restore");
    }

    private static void AssertSyncedAndEnded(FirecrackerProcess vmm, string what)
    {
        int exit = vmm.WaitForExit(Patience);
        Assert.True(exit == 0, $"{what} exited {exit} after SIGTERM, expected 0\n{vmm.Describe()}");
        Assert.Contains("stopped by a signal (SIGTERM); 1 writable disk(s) synced", vmm.Stderr, StringComparison.Ordinal);
    }

    /// <summary>A <c>--config-file</c> for <c>sharpvmm firecracker</c>: the test kernel counting forever with <paramref name="image"/> as its writable disk <c>disk</c>.</summary>
    internal static string CountingKernelConfig(string kernel, string image) => $$"""
        {
          "machine-config": { "vcpu_count": 2, "mem_size_mib": 128, "virtio_transport": "mmio" },
          "boot-source": { "kernel_image_path": "{{kernel}}", "boot_args": "mem=128 cpus=2 blk=rw exit=count" },
          "drives": [ { "drive_id": "disk", "path_on_host": "{{image}}", "is_root_device": false, "is_read_only": false } ]
        }
        """;

    /// <summary>A new 1 MiB image of zeros in <paramref name="dir"/>.</summary>
    internal static string ZeroedDisk(TempDirectory dir)
    {
        string image = dir.File("disk.img");
        File.WriteAllBytes(image, new byte[1 << 20]);
        return image;
    }

    /// <summary><c>sharpvmm boot</c> of the test kernel counting forever with <paramref name="image"/> as its virtio-mmio disk, <c>blk=</c><paramref name="mode"/>.</summary>
    internal static string[] BootWithDisk(string kernel, string image, string mode) =>
        ["boot", "--kernel", kernel, "--cpus", "2", "--mem", "128M", "--virtio", "mmio", "--append", $"mem=128 cpus=2 blk={mode} exit=count",
            "--disk", mode == "ro" ? $"{image},readonly" : image, "--time-limit", "100"];
}
