using System.Text.Json.Serialization;

namespace SharpVmm.Api;

/// <summary>The body of <c>PUT /metrics</c> (and <c>--metrics-path</c>): where metrics lines go.</summary>
public sealed record MetricsConfig
{
    /// <summary>A file or named pipe that gets one JSON object per line.</summary>
    [JsonPropertyName("metrics_path")]
    public required string MetricsPath { get; set; }
}
