using System.Text.Json.Serialization;

namespace SharpVmm.Api;

/// <summary>The body of <c>PUT /actions</c>: <c>InstanceStart</c>, <c>SendCtrlAltDel</c> or <c>FlushMetrics</c>.</summary>
public sealed record InstanceActionInfo
{
    /// <summary>What to do.</summary>
    [JsonPropertyName("action_type")]
    public required string ActionType { get; set; }
}
