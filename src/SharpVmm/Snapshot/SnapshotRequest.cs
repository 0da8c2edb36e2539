namespace SharpVmm.Snapshot;

/// <summary>Where <see cref="MicroVm.CreateSnapshot"/> writes a paused VM (Firecracker's <c>PUT /snapshot/create</c> body).</summary>
public sealed record SnapshotRequest
{
    /// <summary>The state file: vCPUs, the VM's KVM state, every device, the configuration.</summary>
    public required string StatePath { get; init; }

    /// <summary>The memory file.</summary>
    public required string MemoryPath { get; init; }

    /// <summary>Full, or Diff (the pages changed since the last snapshot; needs dirty page tracking).</summary>
    public SnapshotType Type { get; init; } = SnapshotType.Full;
}
