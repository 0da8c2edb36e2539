using System.Text.Json.Serialization;

namespace SharpVmm.Api;

/// <summary>The answer to <c>GET /</c>.</summary>
public sealed record InstanceInfo
{
    /// <summary>The application's name.</summary>
    [JsonPropertyName("app_name")]
    public required string AppName { get; init; }

    /// <summary>The instance's id (<c>--id</c>).</summary>
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    /// <summary><c>Not started</c>, <c>Running</c> or <c>Paused</c>.</summary>
    [JsonPropertyName("state")]
    public required string State { get; init; }

    /// <summary>SharpVmm's version.</summary>
    [JsonPropertyName("vmm_version")]
    public required string VmmVersion { get; init; }
}
