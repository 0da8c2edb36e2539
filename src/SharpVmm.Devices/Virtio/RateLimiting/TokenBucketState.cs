namespace SharpVmm.Devices.Virtio.RateLimiting;

/// <summary>
/// What a <see cref="TokenBucket"/> holds at a snapshot (<see cref="TokenBucket.SaveState"/>), as Firecracker keeps it:
/// the tokens left and the one-time burst left. The size and refill time come from the VM's configuration; they are
/// saved too, so that a restore into a bucket of another shape is refused.
/// </summary>
public sealed record TokenBucketState
{
    /// <summary>Tokens the bucket holds when full.</summary>
    public long Size { get; set; }

    /// <summary>How long an empty bucket takes to fill, in milliseconds.</summary>
    public long RefillTimeMs { get; set; }

    /// <summary>The tokens left; below zero while an oversized request is paid back.</summary>
    public long Budget { get; set; }

    /// <summary>What is left of the one-time burst.</summary>
    public long OneTimeBurst { get; set; }
}
