using System.Text.Json.Serialization;

namespace SharpVmm.Api;

/// <summary>The body of <c>PUT /snapshot/load</c>: exactly one of <see cref="MemBackend"/> and the deprecated <see cref="MemFilePath"/>.</summary>
public sealed record SnapshotLoadParams
{
    /// <summary>The state file.</summary>
    [JsonPropertyName("snapshot_path")]
    public required string SnapshotPath { get; set; }

    /// <summary>Where the memory comes from.</summary>
    [JsonPropertyName("mem_backend")]
    public MemoryBackendParams? MemBackend { get; set; }

    /// <summary>The memory file (deprecated in Firecracker for <see cref="MemBackend"/>).</summary>
    [JsonPropertyName("mem_file_path")]
    public string? MemFilePath { get; set; }

    /// <summary>Track dirty pages in the restored VM.</summary>
    [JsonPropertyName("track_dirty_pages")]
    public bool? TrackDirtyPages { get; set; }

    /// <summary>The deprecated name of <see cref="TrackDirtyPages"/>.</summary>
    [JsonPropertyName("enable_diff_snapshots")]
    public bool? EnableDiffSnapshots { get; set; }

    /// <summary>Run the VM once it is loaded.</summary>
    [JsonPropertyName("resume_vm")]
    public bool? ResumeVm { get; set; }

    /// <summary>Network interfaces put on other TAPs.</summary>
    [JsonPropertyName("network_overrides")]
    public List<NetworkOverrideParams>? NetworkOverrides { get; set; }

    /// <summary>SharpVmm's addition: drives backed by other files.</summary>
    [JsonPropertyName("drive_overrides")]
    public List<DriveOverrideParams>? DriveOverrides { get; set; }

    /// <summary>Firecracker's vsock override (another uds_path); not supported yet, so any value is refused.</summary>
    [JsonPropertyName("vsock_override")]
    public System.Text.Json.Nodes.JsonObject? VsockOverride { get; set; }

    /// <summary>Move kvmclock on by the host time since the snapshot (<c>KVM_CLOCK_REALTIME</c>); by default it goes on from where it was.</summary>
    [JsonPropertyName("clock_realtime")]
    public bool? ClockRealtime { get; set; }

    /// <summary>Firecracker's huge pages choice for the restored VM: <c>Snapshot</c> (the default), <c>None</c> or <c>Transparent</c>; <c>2M</c> needs Uffd and is refused.</summary>
    [JsonPropertyName("huge_pages")]
    public string? HugePages { get; set; }
}
