using SharpVmm.Cli;
using SharpVmm.Devices.Virtio.Block;
using SharpVmm.Tests.Kvm;
using SharpVmm.Tests.Kvm.Snapshot;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Cli;

/// <summary>
/// Disk image locks between processes: a running <c>sharpvmm boot</c> holds its writable disk exclusively and its
/// read-only disk shared, so a second writer is refused and readers share; the lock goes when the VMM exits or is
/// killed with SIGKILL.
/// </summary>
[Tier(TestTiers.KvmFast)]
public class DiskImageLockCommandTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public void A_second_writer_is_refused_while_a_vmm_writes_the_image_and_the_lock_goes_when_the_vmm_is_killed()
    {
        KvmTestEnvironment.RequireKvm();
        string kernel = TestKernel.Path;
        using var dir = new TempDirectory();
        string image = SignalShutdownTests.ZeroedDisk(dir);
        using var first = FirecrackerProcess.StartCommand(SignalShutdownTests.BootWithDisk(kernel, image, "rw"));
        CountingOutput.WaitFor(() => first.Stdout, "disk SHARPVMM", first.Describe);

        CliProcess.Result second = CliProcess.Run(SignalShutdownTests.BootWithDisk(kernel, image, "rw"));
        var inTest = Assert.Throws<DiskImageException>(() => new RawDiskImage(image, readOnly: true));
        first.KillNow(); // SIGKILL: the VMM cleans nothing up, the kernel drops its lock with its descriptors

        Assert.True(second.ExitCode == ExitCodes.DeviceBackend, $"a second writer exited {second.ExitCode}, expected {ExitCodes.DeviceBackend}\n{second.Stderr}");
        Assert.Contains(image, second.Stderr, StringComparison.Ordinal);
        Assert.Contains("another process has it open for writing", second.Stderr, StringComparison.Ordinal);
        Assert.Contains("another process has it open for writing", inTest.Message, StringComparison.Ordinal);
        using var after = new RawDiskImage(image);
    }

    [Fact]
    public void Two_vmms_read_one_image_a_writer_is_refused_beside_them_and_the_lock_goes_when_they_exit()
    {
        KvmTestEnvironment.RequireKvm();
        string kernel = TestKernel.Path;
        using var dir = new TempDirectory();
        string image = SignalShutdownTests.ZeroedDisk(dir);
        using var one = FirecrackerProcess.StartCommand(SignalShutdownTests.BootWithDisk(kernel, image, "ro"));
        using var two = FirecrackerProcess.StartCommand(SignalShutdownTests.BootWithDisk(kernel, image, "ro"));
        CountingOutput.WaitFor(() => one.Stdout, "virtio-blk ro ok", one.Describe);
        CountingOutput.WaitFor(() => two.Stdout, "virtio-blk ro ok", two.Describe);

        var writer = Assert.Throws<DiskImageException>(() => new RawDiskImage(image));
        using (var reader = new RawDiskImage(image, readOnly: true))
        {
            Assert.True(reader.ReadOnly);
        }

        one.Signal(15);
        two.Signal(15);
        Assert.Equal(ExitCodes.StoppedBySignal, one.WaitForExit(Patience));
        Assert.Equal(ExitCodes.StoppedBySignal, two.WaitForExit(Patience));
        Assert.Contains("another process has it open and does not share it with a writer", writer.Message, StringComparison.Ordinal);
        using var after = new RawDiskImage(image);
    }

    [Fact]
    public void A_firecracker_vmm_may_patch_a_drive_to_its_own_image_but_not_to_one_another_process_holds()
    {
        KvmTestEnvironment.RequireKvm();
        string kernel = TestKernel.Path;
        using var dir = new TempDirectory();
        string image = SignalShutdownTests.ZeroedDisk(dir), held = dir.File("held.img"), config = dir.File("vm.json");
        File.WriteAllBytes(held, new byte[1 << 20]);
        File.WriteAllText(config, SignalShutdownTests.CountingKernelConfig(kernel, image));
        using var fc = FirecrackerProcess.Start(dir, id: "patch", extra: ["--config-file", config]);
        CountingOutput.WaitFor(() => fc.Stdout, "disk SHARPVMM", fc.Describe);

        fc.Expect(204, "PATCH", "/drives/disk", $$"""{ "drive_id": "disk", "path_on_host": "{{image}}" }""");
        ApiResponse refused;
        using (var other = new RawDiskImage(held))
        {
            refused = fc.Expect(400, "PATCH", "/drives/disk", $$"""{ "drive_id": "disk", "path_on_host": "{{held}}" }""");
        }

        Assert.Throws<DiskImageException>(() => new RawDiskImage(image)); // the VMM still holds its own image
        Assert.Contains(held, refused.FaultMessage, StringComparison.Ordinal);
        Assert.Contains("another process has it open for writing", refused.FaultMessage, StringComparison.Ordinal);
    }
}
