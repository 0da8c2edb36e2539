using System.Text.Json;
using System.Text.Json.Serialization;

namespace SharpVmm.Api;

/// <summary>The body of <c>PUT /serial</c>: where COM1's output goes instead of stdout.</summary>
public sealed record SerialConfig
{
    /// <summary>A file or named pipe.</summary>
    [JsonPropertyName("serial_out_path")]
    public string? SerialOutPath { get; set; }

    /// <summary>A token bucket for the output (refused when it limits anything: not supported).</summary>
    [JsonPropertyName("rate_limiter")]
    public JsonElement? RateLimiter { get; set; }
}
