using System.Text.Json.Serialization;

namespace SharpVmm.Client;

/// <summary>The body of <c>PUT /snapshot/create</c>.</summary>
/// <param name="SnapshotPath">The state file to write.</param>
/// <param name="MemFilePath">The memory file to write.</param>
/// <param name="SnapshotType"><c>Full</c> or <c>Diff</c>; null for Full.</param>
public sealed record SnapshotCreate(
    [property: JsonPropertyName("snapshot_path")] string SnapshotPath,
    [property: JsonPropertyName("mem_file_path")] string MemFilePath,
    [property: JsonPropertyName("snapshot_type")] string? SnapshotType = null);
