using System.Text.Json.Serialization;

namespace SharpVmm.Api;

/// <summary>The body of <c>PATCH /vm</c>: <c>Paused</c> or <c>Resumed</c>.</summary>
public sealed record VmStateUpdate
{
    /// <summary>The state asked for.</summary>
    [JsonPropertyName("state")]
    public required string State { get; set; }
}
