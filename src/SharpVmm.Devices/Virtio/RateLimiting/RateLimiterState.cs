namespace SharpVmm.Devices.Virtio.RateLimiting;

/// <summary>A <see cref="RateLimiter"/>'s buckets at a snapshot (<see cref="RateLimiter.SaveState"/>); null where the
/// limiter has no such bucket.</summary>
public sealed record RateLimiterState
{
    /// <summary>The bandwidth bucket (bytes).</summary>
    public TokenBucketState? Bandwidth { get; set; }

    /// <summary>The operations bucket.</summary>
    public TokenBucketState? Ops { get; set; }
}
