namespace SharpVmm.Devices.Virtio.RateLimiting;

/// <summary>
/// A device's rate limiter (Firecracker's <c>rate_limiter</c>): an optional bandwidth bucket (bytes) and an optional
/// operations bucket (requests or frames). A request passes only when both buckets can pay for it, and then both
/// pay; otherwise neither does and the caller is told how long to wait. With neither bucket it limits nothing.
/// Thread-safe: the device thread consumes while the API replaces buckets.
/// </summary>
public sealed class RateLimiter
{
    private readonly Lock _lock = new();
    private TokenBucket? _bandwidth;
    private TokenBucket? _ops;
    private long _throttledEvents;
    private Action? _changed;

    /// <summary>The bandwidth bucket (tokens are bytes), or null for no bandwidth limit.</summary>
    public TokenBucket? Bandwidth
    {
        get
        {
            lock (_lock)
            {
                return _bandwidth;
            }
        }
    }

    /// <summary>The operations bucket (tokens are requests), or null for no operations limit.</summary>
    public TokenBucket? Ops
    {
        get
        {
            lock (_lock)
            {
                return _ops;
            }
        }
    }

    /// <summary>Whether any bucket is set.</summary>
    public bool LimitsAnything => Bandwidth is not null || Ops is not null;

    /// <summary>How many times a request had to wait (Firecracker's <c>rate_limiter_throttled_events</c>).</summary>
    public long ThrottledEvents => Interlocked.Read(ref _throttledEvents);

    /// <summary>Both buckets' tokens and bursts now.</summary>
    public RateLimiterState SaveState()
    {
        lock (_lock)
        {
            return new RateLimiterState { Bandwidth = _bandwidth?.SaveState(), Ops = _ops?.SaveState() };
        }
    }

    /// <summary>Gives the buckets the VM's configuration set up their saved tokens and bursts.</summary>
    /// <exception cref="DeviceStateException">A bucket is saved that this limiter does not have, or the other way
    /// round, or a bucket refuses its state.</exception>
    public void RestoreState(RateLimiterState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        lock (_lock)
        {
            Restore(_bandwidth, state.Bandwidth, nameof(state.Bandwidth));
            Restore(_ops, state.Ops, nameof(state.Ops));
        }

        Volatile.Read(ref _changed)?.Invoke();
    }

    private static void Restore(TokenBucket? bucket, TokenBucketState? saved, string which)
    {
        DeviceStateException.Require((bucket is null) == (saved is null), "rate limiter", which,
            bucket is null ? "is saved, and this limiter has no such bucket" : "is not saved, and this limiter has one");
        if (bucket is not null)
        {
            bucket.RestoreState(saved!);
        }
    }

    /// <summary>Replaces the bandwidth bucket (null: no bandwidth limit); a device waiting on the old one looks again.</summary>
    public void SetBandwidth(TokenBucket? bucket)
    {
        lock (_lock)
        {
            _bandwidth = bucket;
        }

        Volatile.Read(ref _changed)?.Invoke();
    }

    /// <summary>Replaces the operations bucket (null: no operations limit); a device waiting on the old one looks again.</summary>
    public void SetOps(TokenBucket? bucket)
    {
        lock (_lock)
        {
            _ops = bucket;
        }

        Volatile.Read(ref _changed)?.Invoke();
    }

    /// <summary>
    /// Pays for one request of <paramref name="bytes"/> bytes and <paramref name="ops"/> operations from both buckets,
    /// or from neither: false, with <paramref name="retryAfter"/> the time until both could pay, when either cannot.
    /// </summary>
    public bool TryConsume(long bytes, long ops, out TimeSpan retryAfter)
    {
        lock (_lock)
        {
            bool bandwidthOk = _bandwidth?.CanConsume(bytes) ?? true;
            bool opsOk = _ops?.CanConsume(ops) ?? true;
            if (bandwidthOk && opsOk)
            {
                _bandwidth?.Consume(bytes);
                _ops?.Consume(ops);
                retryAfter = TimeSpan.Zero;
                return true;
            }

            TimeSpan bandwidthWait = _bandwidth?.TimeUntilAvailable(bytes) ?? TimeSpan.Zero;
            TimeSpan opsWait = _ops?.TimeUntilAvailable(ops) ?? TimeSpan.Zero;
            retryAfter = bandwidthWait > opsWait ? bandwidthWait : opsWait;
        }

        Interlocked.Increment(ref _throttledEvents);
        return false;
    }

    /// <summary>Has <paramref name="changed"/> called whenever a bucket is replaced (the device kicks its thread).</summary>
    internal void OnChanged(Action changed) => Volatile.Write(ref _changed, changed);
}
