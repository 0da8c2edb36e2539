using System.Text.Json.Serialization;

namespace SharpVmm.Client;

/// <summary>A restored network interface put on another TAP.</summary>
/// <param name="IfaceId">The interface's id in the snapshot.</param>
/// <param name="HostDevName">The TAP.</param>
public sealed record NetworkOverride(
    [property: JsonPropertyName("iface_id")] string IfaceId,
    [property: JsonPropertyName("host_dev_name")] string HostDevName);
