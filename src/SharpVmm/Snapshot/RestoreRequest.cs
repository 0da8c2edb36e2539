namespace SharpVmm.Snapshot;

/// <summary>What <see cref="MicroVm.Restore"/> brings back, and how (Firecracker's <c>PUT /snapshot/load</c> body).</summary>
public sealed record RestoreRequest
{
    /// <summary>The state file <see cref="MicroVm.CreateSnapshot"/> wrote.</summary>
    public required string StatePath { get; init; }

    /// <summary>The memory file: a Full snapshot's, or one with Diff snapshots merged onto it.</summary>
    public required string MemoryPath { get; init; }

    /// <summary>Mapped copy-on-write (the default), or copied in.</summary>
    public MemoryBackend Backend { get; init; } = MemoryBackend.File;

    /// <summary>Track dirty pages in the restored VM, for Diff snapshots of it; null keeps the snapshotted VM's setting.</summary>
    public bool? TrackDirtyPages { get; init; }

    /// <summary>Run at once; otherwise the VM is restored paused, to be resumed.</summary>
    public bool ResumeVm { get; init; }

    /// <summary>Network interfaces put on other TAPs.</summary>
    public IReadOnlyList<NetworkOverride> NetworkOverrides { get; init; } = [];

    /// <summary>Drives backed by other files.</summary>
    public IReadOnlyList<DriveOverride> DriveOverrides { get; init; } = [];

    /// <summary>
    /// Move the guest's kvmclock on by the host time that passed since the snapshot (<c>KVM_CLOCK_REALTIME</c>, where
    /// the host's KVM has it); by default the guest's clock goes on from where it stopped, as in Firecracker.
    /// </summary>
    public bool ClockRealtime { get; init; }
}
