using System.Text.Json.Serialization;

namespace SharpVmm.Configuration;

/// <summary>A virtio-rng device fed from the host's getrandom(2) (Firecracker's <c>entropy</c>).</summary>
public sealed record EntropyConfig
{
    /// <summary>A rate limiter (parsed; one that limits anything is refused).</summary>
    [JsonPropertyName("rate_limiter")]
    public RateLimiterConfig? RateLimiter { get; set; }
}
