using System.Text.Json.Serialization;

namespace SharpVmm.Configuration;

/// <summary>A raw disk image given to the guest as a virtio-blk disk (Firecracker's <c>drives[]</c> entry, extended).</summary>
public sealed record DriveConfig
{
    /// <summary>Longest virtio-blk serial (the device ID string has 20 bytes).</summary>
    public const int MaxSerialLength = 20;

    /// <summary>A name for the drive, unique in the VM: letters, digits and '_'.</summary>
    [JsonPropertyName("drive_id")]
    public required string DriveId { get; set; }

    /// <summary>The image file on the host.</summary>
    [JsonPropertyName("path_on_host")]
    public string PathOnHost { get; set; } = "";

    /// <summary>The guest's root file system: this drive becomes /dev/vda and the kernel gets <c>root=/dev/vda rw</c> (or <c>ro</c>).</summary>
    [JsonPropertyName("is_root_device")]
    public bool IsRootDevice { get; set; }

    /// <summary>Writes fail in the guest and the image is opened read-only.</summary>
    [JsonPropertyName("is_read_only")]
    public bool IsReadOnly { get; set; }

    /// <summary>With <see cref="IsRootDevice"/>, the root partition's UUID: the kernel gets <c>root=PARTUUID=...</c> instead of /dev/vda.</summary>
    [JsonPropertyName("partuuid")]
    public string? PartUuid { get; set; }

    /// <summary>
    /// Firecracker's caching strategy, <c>Unsafe</c> or <c>Writeback</c>. SharpVmm behaves as Writeback for both: the
    /// device offers VIRTIO_BLK_F_FLUSH and a guest's flush reaches the disk (fdatasync), so nothing flushed is lost.
    /// </summary>
    [JsonPropertyName("cache_type")]
    public string? CacheType { get; set; }

    /// <summary>Firecracker's I/O engine, <c>Sync</c> or <c>Async</c>; SharpVmm's device thread does synchronous I/O for both.</summary>
    [JsonPropertyName("io_engine")]
    public string? IoEngine { get; set; }

    /// <summary>The device's rate limiter (token buckets for bytes and requests); null for none.</summary>
    [JsonPropertyName("rate_limiter")]
    public RateLimiterConfig? RateLimiter { get; set; }

    /// <summary>A vhost-user-block socket (refused: SharpVmm has no vhost-user).</summary>
    [JsonPropertyName("socket")]
    public string? Socket { get; set; }

    /// <summary>The serial the guest reads (VIRTIO_BLK_T_GET_ID, /sys/block/vdX/serial); null for none.</summary>
    [JsonPropertyName("serial")]
    public string? Serial { get; set; }
}
