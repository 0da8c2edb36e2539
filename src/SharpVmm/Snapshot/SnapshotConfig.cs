using SharpVmm.Configuration;
using SharpVmm.Memory;

namespace SharpVmm.Snapshot;

/// <summary>
/// The configuration a restored VM is built from: the snapshotted VM's, with the restore's overrides applied (TAPs,
/// drive files, dirty page tracking), and the checks that must pass before anything is built.
/// </summary>
internal static class SnapshotConfig
{
    /// <summary>The snapshot's configuration with <paramref name="request"/>'s overrides; an override naming no device is refused.</summary>
    public static VmConfig For(VmSnapshotState state, RestoreRequest request)
    {
        VmConfig config = state.Config;
        var nets = config.NetworkInterfaces.ToList();
        foreach (NetworkOverride o in request.NetworkOverrides)
        {
            int i = nets.FindIndex(n => n.IfaceId == o.IfaceId);
            if (i < 0)
            {
                throw new SnapshotException($"network_overrides: the snapshot has no network interface '{o.IfaceId}' (it has: {Names(nets.Select(n => n.IfaceId))})");
            }

            nets[i] = nets[i] with { HostDevName = o.HostDevName };
        }

        var drives = config.Drives.ToList();
        foreach (DriveOverride o in request.DriveOverrides)
        {
            int i = drives.FindIndex(d => d.DriveId == o.DriveId);
            if (i < 0)
            {
                throw new SnapshotException($"drive_overrides: the snapshot has no drive '{o.DriveId}' (it has: {Names(drives.Select(d => d.DriveId))})");
            }

            drives[i] = drives[i] with { PathOnHost = o.PathOnHost };
        }

        config = config with
        {
            NetworkInterfaces = nets,
            Drives = drives,
            Machine = config.Machine with { TrackDirtyPages = request.TrackDirtyPages ?? config.Machine.TrackDirtyPages },
        };
        try
        {
            config.Validate(checkHostResources: false);
        }
        catch (VmConfigurationException ex)
        {
            throw new SnapshotException($"the snapshot's configuration is not valid here: {ex.Message}", ex);
        }

        return config;
    }

    /// <summary>Checks that the snapshot's memory is the layout's and that the memory file is its size, before anything is mapped.</summary>
    public static void CheckMemory(VmSnapshotState state, GuestRamLayout layout, string memoryPath)
    {
        var expected = layout.Ranges.Select(r => new MemoryRangeState { Start = r.Start.Value, Size = r.Size }).ToList();
        if (!expected.SequenceEqual(state.Memory))
        {
            throw new SnapshotException($"the snapshot's memory map ({Describe(state.Memory)}) is not what {layout.TotalSize >> 20} MiB of memory is here ({Describe(expected)})");
        }

        long length;
        try
        {
            length = new FileInfo(memoryPath).Length;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SnapshotException($"cannot read the memory file {memoryPath}: {ex.Message}", ex);
        }

        if ((ulong)length != layout.TotalSize)
        {
            throw new SnapshotException($"the memory file {memoryPath} is {length} bytes; the snapshot's guest has {layout.TotalSize} bytes of memory (is it the memory file of this snapshot?)");
        }
    }

    private static string Names(IEnumerable<string> names) => string.Join(", ", names.DefaultIfEmpty("none"));

    private static string Describe(IEnumerable<MemoryRangeState> ranges) =>
        string.Join(", ", ranges.Select(r => FormattableString.Invariant($"0x{r.Start:x}+0x{r.Size:x}")));
}
