using System.Text.Json.Serialization;

namespace SharpVmm.Client;

/// <summary>The body of <c>PUT /machine-config</c> and the answer to <c>GET /machine-config</c>; optional fields left null are not sent.</summary>
public sealed record MachineConfiguration
{
    /// <summary>vCPUs (Firecracker: 1 to 32).</summary>
    [JsonPropertyName("vcpu_count")]
    public required int VcpuCount { get; init; }

    /// <summary>Guest memory in MiB.</summary>
    [JsonPropertyName("mem_size_mib")]
    public required long MemSizeMib { get; init; }

    /// <summary>Simultaneous multithreading.</summary>
    [JsonPropertyName("smt")]
    public bool? Smt { get; init; }

    /// <summary>Dirty page tracking (for diff snapshots).</summary>
    [JsonPropertyName("track_dirty_pages")]
    public bool? TrackDirtyPages { get; init; }

    /// <summary><c>None</c>, <c>Transparent</c> or <c>2M</c>.</summary>
    [JsonPropertyName("huge_pages")]
    public string? HugePages { get; init; }

    /// <summary>A CPU template name.</summary>
    [JsonPropertyName("cpu_template")]
    public string? CpuTemplate { get; init; }
}
