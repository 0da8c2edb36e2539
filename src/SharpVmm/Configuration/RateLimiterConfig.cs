using System.Text.Json;
using System.Text.Json.Serialization;

namespace SharpVmm.Configuration;

/// <summary>
/// Firecracker's <c>rate_limiter</c> object (token buckets for bandwidth and operations). SharpVmm reads it so that
/// files and API requests written for Firecracker parse, but limits nothing yet: a limiter with a bucket is refused by
/// validation, naming the field, rather than silently ignored.
/// </summary>
public sealed record RateLimiterConfig
{
    /// <summary>The bandwidth bucket, as given.</summary>
    [JsonPropertyName("bandwidth")]
    public JsonElement? Bandwidth { get; set; }

    /// <summary>The operations bucket, as given.</summary>
    [JsonPropertyName("ops")]
    public JsonElement? Ops { get; set; }

    /// <summary>Whether the limiter asks for any limit.</summary>
    [JsonIgnore]
    public bool LimitsAnything => Bandwidth is { ValueKind: not JsonValueKind.Null } || Ops is { ValueKind: not JsonValueKind.Null };
}
