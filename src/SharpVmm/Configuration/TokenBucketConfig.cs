using System.Text.Json.Serialization;
using SharpVmm.Devices.Virtio.RateLimiting;

namespace SharpVmm.Configuration;

/// <summary>
/// Firecracker's <c>TokenBucket</c>: a bucket of <see cref="Size"/> tokens that refills completely in
/// <see cref="RefillTime"/> milliseconds, with an optional <see cref="OneTimeBurst"/> spent first and never refilled.
/// As in Firecracker, a size or refill time of 0 means no limit from this bucket.
/// </summary>
public sealed record TokenBucketConfig
{
    /// <summary>The longest refill time accepted: a year, in milliseconds.</summary>
    public const long MaxRefillTimeMs = 365L * 24 * 3600 * 1000;

    /// <summary>Tokens the bucket holds when full (bytes for a bandwidth bucket, operations for an ops bucket).</summary>
    [JsonPropertyName("size")]
    public required long Size { get; set; }

    /// <summary>Extra tokens at the start, spent before the bucket's own and never refilled; null or 0 for none.</summary>
    [JsonPropertyName("one_time_burst")]
    public long? OneTimeBurst { get; set; }

    /// <summary>Milliseconds an empty bucket takes to fill.</summary>
    [JsonPropertyName("refill_time")]
    public required long RefillTime { get; set; }

    /// <summary>Whether the bucket limits anything (a size and a refill time above 0).</summary>
    [JsonIgnore]
    public bool Limits => Size > 0 && RefillTime > 0;

    /// <summary>The device's bucket for this configuration, or null when it limits nothing.</summary>
    public TokenBucket? CreateBucket() =>
        Limits ? new TokenBucket(Size, OneTimeBurst ?? 0, TimeSpan.FromMilliseconds(RefillTime)) : null;

    /// <summary>Throws <see cref="VmConfigurationException"/> for a negative field or a refill time over <see cref="MaxRefillTimeMs"/>.</summary>
    /// <param name="field">The bucket's path, for the message (<c>drives[0].rate_limiter.bandwidth</c>).</param>
    public void Validate(string field)
    {
        if (Size < 0)
        {
            throw new VmConfigurationException($"{field}.size", $"must not be negative (got {Size}); 0 means no limit");
        }

        if (OneTimeBurst < 0)
        {
            throw new VmConfigurationException($"{field}.one_time_burst", $"must not be negative (got {OneTimeBurst})");
        }

        if (RefillTime is < 0 or > MaxRefillTimeMs)
        {
            throw new VmConfigurationException($"{field}.refill_time", $"must be between 0 and {MaxRefillTimeMs} ms (got {RefillTime}); 0 means no limit");
        }
    }
}
