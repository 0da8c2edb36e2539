using System.Text.Json.Serialization;

namespace SharpVmm.Configuration;

/// <summary>A virtio-rng device fed from the host's getrandom(2) (Firecracker's <c>entropy</c>).</summary>
public sealed record EntropyConfig
{
    /// <summary>The device's rate limiter (token buckets for bytes and requests); null for none.</summary>
    [JsonPropertyName("rate_limiter")]
    public RateLimiterConfig? RateLimiter { get; set; }
}
