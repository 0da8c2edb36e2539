using System.Text.Json.Serialization;

namespace SharpVmm.Api;

/// <summary>One of <c>drive_overrides</c> in <c>PUT /snapshot/load</c>: SharpVmm's addition, a drive backed by another file.</summary>
public sealed record DriveOverrideParams
{
    /// <summary>The drive's id in the snapshot.</summary>
    [JsonPropertyName("drive_id")]
    public required string DriveId { get; set; }

    /// <summary>The file to back it with (a copy of the snapshotted one).</summary>
    [JsonPropertyName("path_on_host")]
    public required string PathOnHost { get; set; }
}
