namespace SharpVmm.Snapshot;

/// <summary>What a snapshot's memory file holds (Firecracker's <c>snapshot_type</c>).</summary>
public enum SnapshotType
{
    /// <summary>All of guest memory (pages of zeros as holes).</summary>
    Full,

    /// <summary>
    /// Only the pages written since the last snapshot (or since the restore or the start), by the guest (KVM's dirty
    /// log) or by the VMM's devices; merged onto the memory file before it with <see cref="Memory.GuestMemoryFile.MergeDiff"/>.
    /// Needs <c>track_dirty_pages</c>.
    /// </summary>
    Diff,
}
