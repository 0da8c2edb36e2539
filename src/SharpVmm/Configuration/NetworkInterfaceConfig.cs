using System.Text.Json.Serialization;

namespace SharpVmm.Configuration;

/// <summary>A virtio-net card on a host TAP interface (Firecracker's <c>network-interfaces[]</c> entry).</summary>
public sealed record NetworkInterfaceConfig
{
    /// <summary>Longest Linux interface name (IFNAMSIZ less the terminating NUL).</summary>
    public const int MaxHostDevNameLength = 15;

    /// <summary>A name for the card, unique in the VM.</summary>
    [JsonPropertyName("iface_id")]
    public required string IfaceId { get; set; }

    /// <summary>The TAP interface on the host (it must exist, or this process must be allowed to create it).</summary>
    [JsonPropertyName("host_dev_name")]
    public required string HostDevName { get; set; }

    /// <summary>The card's MAC address, six hex bytes (<c>52:54:00:12:34:56</c>); null for 52:54:00:12:34:(0x56 + index).</summary>
    [JsonPropertyName("guest_mac")]
    public string? GuestMac { get; set; }

    /// <summary>The MTU to offer the guest (VIRTIO_NET_F_MTU): not supported yet, so validation refuses anything but null.</summary>
    [JsonPropertyName("mtu")]
    public int? Mtu { get; set; }

    /// <summary>Limits the frames delivered to the guest (bytes and frames); null for none.</summary>
    [JsonPropertyName("rx_rate_limiter")]
    public RateLimiterConfig? RxRateLimiter { get; set; }

    /// <summary>Limits the frames the guest sends (bytes and frames); null for none.</summary>
    [JsonPropertyName("tx_rate_limiter")]
    public RateLimiterConfig? TxRateLimiter { get; set; }
}
