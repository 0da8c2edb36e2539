using System.Diagnostics;
using System.Text.Json;
using SharpVmm.Configuration;
using SharpVmm.Diagnostics;
using SharpVmm.Memory;
using SharpVmm.Snapshot;

namespace SharpVmm;

// Snapshot and restore: a paused VM to a state file and a memory file, and back in another process.
public sealed partial class MicroVm
{
    private readonly Lock _snapshotLock = new();

    /// <summary>
    /// Writes this paused VM to <paramref name="request"/>'s files: the memory file first (Full: every non-zero page;
    /// Diff: the pages the guest or the VMM wrote since the last snapshot), then the state file, through a temporary
    /// file renamed into place, so a state file on disk always has its memory. The VM stays paused.
    /// </summary>
    /// <exception cref="InvalidOperationException">The VM is not paused.</exception>
    /// <exception cref="SnapshotException">A Diff snapshot of a VM without dirty page tracking, or a file that cannot be written.</exception>
    public SnapshotInfo CreateSnapshot(SnapshotRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        lock (_snapshotLock)
        {
            if (State != VmState.Paused)
            {
                throw new InvalidOperationException($"a VM is snapshotted paused; this one is {State}");
            }

            if (request.Type == SnapshotType.Diff && !Config.Machine.TrackDirtyPages)
            {
                throw new SnapshotException("a Diff snapshot needs dirty page tracking: machine-config track_dirty_pages (or track_dirty_pages on the load that restored this VM)");
            }

            long start = Stopwatch.GetTimestamp();
            VmSnapshotState state = MachineSnapshot.Capture(this, request.Type);
            byte[] document = JsonSerializer.SerializeToUtf8Bytes(state, SnapshotJsonContext.Default.VmSnapshotState);
            long memoryBytes;
            try
            {
                // Either kind starts the next diff afresh: KVM's log and the VMM's record are read (and so cleared) now.
                IReadOnlyList<ulong[]>? changed = Config.Machine.TrackDirtyPages ? MachineSnapshot.TakeChangedPages(Machine) : null;
                memoryBytes = request.Type == SnapshotType.Full
                    ? GuestMemoryFile.WriteFull(Machine.Memory, request.MemoryPath)
                    : GuestMemoryFile.WriteDiff(Machine.Memory, request.MemoryPath, changed!);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new SnapshotException($"cannot write the memory file {request.MemoryPath}: {ex.Message}", ex);
            }

            SnapshotFile.Write(request.StatePath, document);
            var info = new SnapshotInfo(request.Type, new FileInfo(request.StatePath).Length, memoryBytes, Stopwatch.GetElapsedTime(start));
            VmLog.SnapshotCreated(_logger, request.Type.ToString(), request.StatePath, info.MemoryBytesWritten, info.Elapsed.TotalMilliseconds);
            return info;
        }
    }

    /// <summary>
    /// Brings back the VM a snapshot holds, in this process: the state file is checked whole, and the memory file's size
    /// against it, before anything is mapped or KVM is touched; then memory (mapped or copied), the KVM VM, the vCPUs and
    /// the devices are built as <see cref="Create"/> builds them, with host resources opened afresh (disk files, TAPs,
    /// eventfds, threads), and each given its saved state. The VM is paused when this returns, or running with
    /// <see cref="RestoreRequest.ResumeVm"/>. If anything fails, everything built so far is released.
    /// </summary>
    /// <exception cref="SnapshotException">The snapshot is unreadable, corrupted, from another SharpVmm or CPU vendor, or does not match its memory file or overrides.</exception>
    public static MicroVm Restore(RestoreRequest request, MicroVmOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        options ??= new MicroVmOptions();
        VmSnapshotState state = ReadState(request.StatePath);
        VmConfig config = SnapshotConfig.For(state, request);
        GuestRamLayout layout = GuestRamLayout.ForSize(config.Machine.MemorySize);
        SnapshotConfig.CheckMemory(state, layout, request.MemoryPath);

        bool copy = request.Backend == MemoryBackend.Copy;
        bool hugePages = config.Machine.HugePages == HugePages.Transparent;
        var plan = new RestorePlan(l => GuestMemoryFile.Load(request.MemoryPath, l, copy, hugePages), state.KernelCommandLine);
        MicroVm vm = config.BootSource is not null ? KernelVmBuilder.Build(config, options, plan) : RawGuestVmBuilder.Build(config, options, plan);
        try
        {
            MachineSnapshot.Apply(vm, state, request.ClockRealtime);
            vm.Start(new VmRunOptions { StartPaused = !request.ResumeVm });
        }
        catch
        {
            vm.Dispose();
            throw;
        }

        VmLog.SnapshotRestored(vm._logger, request.StatePath, request.Backend.ToString(), request.ResumeVm);
        return vm;
    }

    private static VmSnapshotState ReadState(string path)
    {
        byte[] document = SnapshotFile.Read(path);
        try
        {
            return JsonSerializer.Deserialize(document, SnapshotJsonContext.Default.VmSnapshotState)
                ?? throw new SnapshotException($"{path} holds no VM state");
        }
        catch (JsonException ex)
        {
            throw new SnapshotException($"{path}: the VM state cannot be read ({ex.Message})", ex);
        }
    }
}
