using System.Text.Json.Serialization;

namespace SharpVmm.Api;

/// <summary>The body of <c>PUT /snapshot/create</c>.</summary>
public sealed record SnapshotCreateParams
{
    /// <summary>The memory file to write.</summary>
    [JsonPropertyName("mem_file_path")]
    public required string MemFilePath { get; set; }

    /// <summary>The state file to write.</summary>
    [JsonPropertyName("snapshot_path")]
    public required string SnapshotPath { get; set; }

    /// <summary><c>Full</c> (the default) or <c>Diff</c>.</summary>
    [JsonPropertyName("snapshot_type")]
    public string? SnapshotType { get; set; }
}
