using System.Text.Json.Serialization;

namespace SharpVmm.Client;

/// <summary>The body of <c>PUT /drives/{drive_id}</c>: a block device backed by a file on the VMM's host.</summary>
public sealed record Drive
{
    /// <summary>The drive's id (also in the path).</summary>
    [JsonPropertyName("drive_id")]
    public required string DriveId { get; init; }

    /// <summary>The backing file.</summary>
    [JsonPropertyName("path_on_host")]
    public required string PathOnHost { get; init; }

    /// <summary>Whether this is the guest's root device.</summary>
    [JsonPropertyName("is_root_device")]
    public required bool IsRootDevice { get; init; }

    /// <summary>Whether the guest may only read it.</summary>
    [JsonPropertyName("is_read_only")]
    public bool? IsReadOnly { get; init; }

    /// <summary>The root partition's PARTUUID, when the root device is partitioned.</summary>
    [JsonPropertyName("partuuid")]
    public string? PartUuid { get; init; }
}
