using System.Text.Json.Serialization;

namespace SharpVmm.Api;

/// <summary>One of <c>network_overrides</c> in <c>PUT /snapshot/load</c>.</summary>
public sealed record NetworkOverrideParams
{
    /// <summary>The interface's id in the snapshot.</summary>
    [JsonPropertyName("iface_id")]
    public required string IfaceId { get; set; }

    /// <summary>The TAP to put it on.</summary>
    [JsonPropertyName("host_dev_name")]
    public required string HostDevName { get; set; }
}
