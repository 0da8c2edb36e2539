using System.Text.Json.Serialization;
using SharpVmm.Devices.Virtio.RateLimiting;

namespace SharpVmm.Configuration;

/// <summary>
/// Firecracker's <c>rate_limiter</c> object: a bandwidth bucket (bytes) and an operations bucket (requests or frames),
/// each optional. A device serves a request only when both buckets it has can pay for it.
/// </summary>
public sealed record RateLimiterConfig
{
    /// <summary>The bandwidth bucket; null for no bandwidth limit (or, in a PATCH, to keep the current one).</summary>
    [JsonPropertyName("bandwidth")]
    public TokenBucketConfig? Bandwidth { get; set; }

    /// <summary>The operations bucket; null for no operations limit (or, in a PATCH, to keep the current one).</summary>
    [JsonPropertyName("ops")]
    public TokenBucketConfig? Ops { get; set; }

    /// <summary>Whether the limiter asks for any limit.</summary>
    [JsonIgnore]
    public bool LimitsAnything => Bandwidth is { Limits: true } || Ops is { Limits: true };

    /// <summary>Checks both buckets; <paramref name="field"/> is the limiter's path, for the message.</summary>
    /// <exception cref="VmConfigurationException">A bucket's field is out of range.</exception>
    public void Validate(string field)
    {
        Bandwidth?.Validate($"{field}.bandwidth");
        Ops?.Validate($"{field}.ops");
    }

    /// <summary>
    /// Gives <paramref name="limiter"/> the buckets this object names, as Firecracker applies a limiter: a bucket left
    /// out leaves the limiter's current one alone, a bucket with a size or refill time of 0 removes it, any other
    /// replaces it with a full new one.
    /// </summary>
    public void ApplyTo(RateLimiter limiter)
    {
        ArgumentNullException.ThrowIfNull(limiter);
        if (Bandwidth is { } bandwidth)
        {
            limiter.SetBandwidth(bandwidth.CreateBucket());
        }

        if (Ops is { } ops)
        {
            limiter.SetOps(ops.CreateBucket());
        }
    }
}
