using System.Text.Json.Serialization;

namespace SharpVmm.Client;

/// <summary>The body of <c>PUT /network-interfaces/{iface_id}</c>: a virtio-net card on a host TAP.</summary>
public sealed record NetworkInterface
{
    /// <summary>The interface's id (also in the path).</summary>
    [JsonPropertyName("iface_id")]
    public required string IfaceId { get; init; }

    /// <summary>The host's TAP device.</summary>
    [JsonPropertyName("host_dev_name")]
    public required string HostDevName { get; init; }

    /// <summary>The guest's MAC address, or null for the VMM's choice.</summary>
    [JsonPropertyName("guest_mac")]
    public string? GuestMac { get; init; }
}
