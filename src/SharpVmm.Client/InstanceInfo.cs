using System.Text.Json.Serialization;

namespace SharpVmm.Client;

/// <summary>What <c>GET /</c> answers: the instance's id, its state and the VMM.</summary>
public sealed record InstanceInfo
{
    /// <summary>The VMM's name (<c>Firecracker</c>, <c>SharpVmm</c>).</summary>
    [JsonPropertyName("app_name")]
    public required string AppName { get; init; }

    /// <summary>The instance id (<c>--id</c>).</summary>
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    /// <summary><c>Not started</c>, <c>Running</c> or <c>Paused</c>.</summary>
    [JsonPropertyName("state")]
    public required string State { get; init; }

    /// <summary>The VMM's version.</summary>
    [JsonPropertyName("vmm_version")]
    public required string VmmVersion { get; init; }
}
