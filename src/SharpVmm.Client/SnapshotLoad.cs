using System.Text.Json.Serialization;

namespace SharpVmm.Client;

/// <summary>The body of <c>PUT /snapshot/load</c>, with the memory file as a <c>File</c> backend.</summary>
public sealed record SnapshotLoad
{
    /// <summary>The state file.</summary>
    [JsonPropertyName("snapshot_path")]
    public required string SnapshotPath { get; init; }

    /// <summary>The memory backend.</summary>
    [JsonPropertyName("mem_backend")]
    public required MemoryBackend MemBackend { get; init; }

    /// <summary>Track dirty pages in the restored VM (for Diff snapshots of it).</summary>
    [JsonPropertyName("track_dirty_pages")]
    public bool? TrackDirtyPages { get; init; }

    /// <summary>Run the VM once loaded.</summary>
    [JsonPropertyName("resume_vm")]
    public bool? ResumeVm { get; init; }

    /// <summary>Network interfaces put on other TAPs.</summary>
    [JsonPropertyName("network_overrides")]
    public IReadOnlyList<NetworkOverride>? NetworkOverrides { get; init; }
}
