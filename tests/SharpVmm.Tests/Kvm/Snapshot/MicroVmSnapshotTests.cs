using SharpVmm.Configuration;
using SharpVmm.Memory;
using SharpVmm.Snapshot;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Kvm.Snapshot;

/// <summary>
/// <see cref="MicroVm.CreateSnapshot"/> and <see cref="MicroVm.Restore"/> in one process: a counting raw guest, and the
/// project's test kernel with the in-kernel irqchip, ACPI and a virtio-blk disk, including a Diff snapshot that must
/// hold a page only the VMM wrote.
/// </summary>
[Tier(TestTiers.KvmFast)]
public class MicroVmSnapshotTests
{
    private static VmConfig Counter(bool track = false) => new()
    {
        Machine = new MachineConfig { MemSizeMib = 1, TrackDirtyPages = track },
        RawGuest = new RawGuestConfig { ImagePath = BuiltInGuests.CounterPath, LoadAddress = 0x10000, Entry = "0x1000:0x0" },
    };

    [Theory]
    [InlineData(MemoryBackend.File)]
    [InlineData(MemoryBackend.Copy)]
    public void A_counting_guest_snapshotted_and_restored_goes_on_from_the_next_value(MemoryBackend backend)
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        (string state, string memory, SerialCapture before) = SnapshotOfCounter(dir, lines: 5);

        var after = new SerialCapture();
        using MicroVm restored = MicroVm.Restore(
            new RestoreRequest { StatePath = state, MemoryPath = memory, Backend = backend, ResumeVm = true },
            new MicroVmOptions { ConsoleOutput = after });
        Assert.Equal(VmState.Running, restored.State);
        CountingOutput.WaitForLines(() => before.Text + after.Text, CountingOutput.Values(before.Text).Count + 5, () => after.Text);

        CountingOutput.AssertContinues(before.Text, after.Text);
    }

    [Fact]
    public void A_vm_restored_without_resume_is_paused_and_runs_once_resumed()
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        (string state, string memory, SerialCapture before) = SnapshotOfCounter(dir, lines: 3);

        var after = new SerialCapture();
        using MicroVm restored = MicroVm.Restore(new RestoreRequest { StatePath = state, MemoryPath = memory }, new MicroVmOptions { ConsoleOutput = after });
        Thread.Sleep(300);
        Assert.Equal(VmState.Paused, restored.State);
        Assert.Empty(CountingOutput.Values(before.Text + after.Text).Skip(CountingOutput.Values(before.Text).Count + 1));
        restored.Resume();
        CountingOutput.WaitForLines(() => before.Text + after.Text, CountingOutput.Values(before.Text).Count + 3, () => after.Text);

        CountingOutput.AssertContinues(before.Text, after.Text);
    }

    [Fact]
    public void A_restored_vm_snapshotted_onto_the_memory_file_it_is_mapped_from_keeps_running_and_the_new_snapshot_restores()
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        (string state, string memory, SerialCapture first) = SnapshotOfCounter(dir, lines: 3);
        var second = new SerialCapture();
        using (MicroVm restored = MicroVm.Restore(new RestoreRequest { StatePath = state, MemoryPath = memory, ResumeVm = true }, new MicroVmOptions { ConsoleOutput = second }))
        {
            CountingOutput.WaitForLines(() => first.Text + second.Text, CountingOutput.Values(first.Text).Count + 3, () => second.Text);
            restored.Pause();

            // The memory file is replaced while this VM's memory is mapped from it: the VM must not lose the pages it never touched.
            restored.CreateSnapshot(new SnapshotRequest { StatePath = state, MemoryPath = memory });
            Assert.Equal(0x8C, restored.Machine.Memory.Read<byte>(new GuestAddress(0x10000))); // the guest's first instruction, mov %cs,%ax
            restored.Resume();
            CountingOutput.WaitForLines(() => first.Text + second.Text, CountingOutput.Values(first.Text + second.Text).Count + 2, () => second.Text);
            restored.Pause();
            restored.CreateSnapshot(new SnapshotRequest { StatePath = state, MemoryPath = memory });
        }

        var third = new SerialCapture();
        using MicroVm again = MicroVm.Restore(new RestoreRequest { StatePath = state, MemoryPath = memory, ResumeVm = true }, new MicroVmOptions { ConsoleOutput = third });
        CountingOutput.WaitForLines(() => first.Text + second.Text + third.Text, CountingOutput.Values(first.Text + second.Text).Count + 3, () => third.Text);

        CountingOutput.AssertContinues(first.Text + second.Text, third.Text);
    }

    [Fact]
    public void A_running_vm_is_not_snapshotted_and_a_diff_needs_dirty_page_tracking()
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        using MicroVm vm = MicroVm.Create(Counter(), new MicroVmOptions { ConsoleOutput = new SerialCapture() });
        vm.Start();
        var request = new SnapshotRequest { StatePath = dir.File("s"), MemoryPath = dir.File("m") };

        var running = Assert.Throws<InvalidOperationException>(() => vm.CreateSnapshot(request));
        vm.Pause();
        var diff = Assert.Throws<SnapshotException>(() => vm.CreateSnapshot(request with { Type = SnapshotType.Diff }));

        Assert.Contains("paused", running.Message, StringComparison.Ordinal);
        Assert.Contains("track_dirty_pages", diff.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("s")), "a refused snapshot left a state file");
    }

    [Fact]
    public void A_diff_snapshot_merged_onto_the_full_one_before_it_is_the_full_snapshot_of_its_moment_with_the_page_only_the_device_wrote()
    {
        KvmTestEnvironment.RequireKvm();
        string kernel = TestKernel.Path;
        using var dir = new TempDirectory();
        string disk = dir.File("disk.img");
        File.WriteAllBytes(disk, new byte[1 << 20]);
        VmConfig config = new()
        {
            Machine = new MachineConfig { VcpuCount = 2, MemSizeMib = 128, VirtioTransport = Platform.VirtioTransport.Mmio, TrackDirtyPages = true },
            BootSource = new BootSourceConfig { KernelImagePath = kernel, BootArgs = "mem=128 cpus=2 blk=rw exit=count" },
            Drives = [new DriveConfig { DriveId = "disk", PathOnHost = disk }],
        };
        var output = new SerialCapture();
        using MicroVm vm = MicroVm.Create(config, new MicroVmOptions { ConsoleOutput = output });
        vm.Start();
        CountingOutput.WaitFor(() => output.Text, "disk SHARPVMM", () => output.Text);
        vm.Pause();
        vm.CreateSnapshot(new SnapshotRequest { StatePath = dir.File("base.snap"), MemoryPath = dir.File("base.mem") });

        // The guest reads sector 0 on every tick into a page it never writes itself: only the device puts the new bytes there.
        using (var image = new FileStream(disk, FileMode.Open, FileAccess.Write))
        {
            image.Write("CHANGED!"u8);
        }

        vm.Resume();
        CountingOutput.WaitFor(() => output.Text, "disk CHANGED!", () => output.Text);
        vm.Pause();
        SnapshotInfo diff = vm.CreateSnapshot(new SnapshotRequest { StatePath = dir.File("diff.snap"), MemoryPath = dir.File("diff.mem"), Type = SnapshotType.Diff });
        vm.CreateSnapshot(new SnapshotRequest { StatePath = dir.File("full.snap"), MemoryPath = dir.File("full.mem") });
        string merged = dir.File("merged.mem");
        File.Copy(dir.File("base.mem"), merged);
        GuestMemoryFile.MergeDiff(dir.File("diff.mem"), merged);

        Assert.True(diff.MemoryBytesWritten < 128L << 20, $"the diff wrote {diff.MemoryBytesWritten} bytes: all of memory");
        Assert.True(File.ReadAllBytes(merged).AsSpan().SequenceEqual(File.ReadAllBytes(dir.File("full.mem"))),
            "the base with the diff merged onto it is not the full snapshot of the same moment");
        int before = CountingOutput.Values(output.Text).Count;
        vm.Dispose(); // the restored VM takes the disk's write lock, which this one holds while it lives
        var after = new SerialCapture();
        using MicroVm restored = MicroVm.Restore(
            new RestoreRequest { StatePath = dir.File("diff.snap"), MemoryPath = merged, ResumeVm = true }, new MicroVmOptions { ConsoleOutput = after });
        CountingOutput.WaitForLines(() => output.Text + after.Text, before + 3, () => after.Text);
        CountingOutput.AssertContinues(output.Text, after.Text);
    }

    /// <summary>Runs the counting guest until it printed <paramref name="lines"/> lines, pauses it and takes a Full snapshot.</summary>
    private static (string State, string Memory, SerialCapture Output) SnapshotOfCounter(TempDirectory dir, int lines)
    {
        var output = new SerialCapture();
        string state = dir.File("vm.snap"), memory = dir.File("vm.mem");
        using MicroVm vm = MicroVm.Create(Counter(), new MicroVmOptions { ConsoleOutput = output });
        vm.Start();
        CountingOutput.WaitForLines(() => output.Text, lines, () => output.Text);
        vm.Pause();
        SnapshotInfo info = vm.CreateSnapshot(new SnapshotRequest { StatePath = state, MemoryPath = memory });
        Assert.Equal(SnapshotType.Full, info.Type);
        Assert.True(info.MemoryBytesWritten > 0, "a Full snapshot of a running guest wrote no memory");
        return (state, memory, output);
    }
}
