namespace SharpVmm.Snapshot;

/// <summary>What <see cref="MicroVm.CreateSnapshot"/> wrote.</summary>
/// <param name="Type">Full or Diff.</param>
/// <param name="StateBytes">The state file's size.</param>
/// <param name="MemoryBytesWritten">The memory pages written (zero pages of a Full snapshot are holes and not counted).</param>
/// <param name="Elapsed">How long it took, the VM paused throughout.</param>
public sealed record SnapshotInfo(SnapshotType Type, long StateBytes, long MemoryBytesWritten, TimeSpan Elapsed);
