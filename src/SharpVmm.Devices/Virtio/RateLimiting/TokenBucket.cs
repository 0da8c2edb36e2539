namespace SharpVmm.Devices.Virtio.RateLimiting;

/// <summary>
/// A token bucket as Firecracker's <c>rate_limiter</c> describes one: it holds at most <see cref="Size"/> tokens, starts
/// full, and refills at a steady <see cref="Size"/> tokens per <see cref="RefillTime"/>. An extra one-time burst is
/// spent first and never refills. Refill is lazy: the clock is read when tokens are asked for, and fractions of a
/// token are carried over, so no time is lost between calls. Not thread-safe (<see cref="RateLimiter"/> locks).
/// </summary>
/// <remarks>
/// A request may ask for more than <see cref="Size"/> tokens (a 4 MiB read through a 1 MiB bucket): as in
/// Firecracker, it is let through whenever the bucket is not already in debt, and the bucket's budget goes below
/// zero by what it overspent. Until the refill has paid that debt back, nothing else is let through, so the average
/// rate still holds.
/// </remarks>
public sealed class TokenBucket
{
    private readonly TimeProvider _clock;
    private readonly Int128 _tokensPerTickScaled; // Size * TimeSpan.TicksPerSecond
    private readonly Int128 _refillScale;         // RefillTime.Ticks * clock frequency: scaled units per token
    private long _budget;
    private long _burst;
    private Int128 _residue; // scaled units of a token accrued but not yet whole
    private long _lastUpdate;

    /// <summary>Creates a full bucket.</summary>
    /// <param name="size">Tokens the bucket holds when full (at least 1).</param>
    /// <param name="oneTimeBurst">Extra tokens spent before the bucket's own, never refilled (0 for none).</param>
    /// <param name="refillTime">How long an empty bucket takes to fill (positive).</param>
    /// <param name="clock">The monotonic clock (<see cref="TimeProvider.GetTimestamp"/>); the system's when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size or refill time that is not positive, or a negative burst.</exception>
    public TokenBucket(long size, long oneTimeBurst, TimeSpan refillTime, TimeProvider? clock = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        ArgumentOutOfRangeException.ThrowIfNegative(oneTimeBurst);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(refillTime, TimeSpan.Zero);
        _clock = clock ?? TimeProvider.System;
        Size = size;
        RefillTime = refillTime;
        _budget = size;
        _burst = oneTimeBurst;
        _tokensPerTickScaled = (Int128)size * TimeSpan.TicksPerSecond;
        _refillScale = (Int128)refillTime.Ticks * _clock.TimestampFrequency;
        _lastUpdate = _clock.GetTimestamp();
    }

    /// <summary>Tokens the bucket holds when full.</summary>
    public long Size { get; }

    /// <summary>How long an empty bucket takes to fill.</summary>
    public TimeSpan RefillTime { get; }

    /// <summary>What is left of the one-time burst.</summary>
    public long OneTimeBurst => _burst;

    /// <summary>The bucket's tokens now (the burst not counted); below zero while an oversized request is paid back.</summary>
    public long Budget
    {
        get
        {
            Refill();
            return _budget;
        }
    }

    /// <summary>
    /// Takes <paramref name="tokens"/> if they are there (burst first, then the bucket) and returns true; otherwise
    /// takes nothing and returns false. A request for more than <see cref="Size"/> is let through when the bucket is
    /// not in debt (see the remarks on <see cref="TokenBucket"/>). Zero tokens always succeed.
    /// </summary>
    public bool TryConsume(long tokens)
    {
        if (!CanConsume(tokens))
        {
            return false;
        }

        Consume(tokens);
        return true;
    }

    /// <summary>How long until <see cref="TryConsume"/>(<paramref name="tokens"/>) would succeed, if nothing else is taken meanwhile; zero when it would now.</summary>
    public TimeSpan TimeUntilAvailable(long tokens)
    {
        Refill();
        long missing = Target(tokens) - _budget;
        if (missing <= 0)
        {
            return TimeSpan.Zero;
        }

        if (missing > (Int128.MaxValue / 4) / _refillScale)
        {
            return TimeSpan.MaxValue; // a wait no clock reaches
        }

        Int128 scaledMissing = (missing * _refillScale) - _residue;
        Int128 clockTicks = CeilingDivide(scaledMissing, _tokensPerTickScaled);
        Int128 timeSpanTicks = CeilingDivide(clockTicks * TimeSpan.TicksPerSecond, _clock.TimestampFrequency);
        return timeSpanTicks >= TimeSpan.MaxValue.Ticks ? TimeSpan.MaxValue : TimeSpan.FromTicks((long)timeSpanTicks);
    }

    /// <summary>The tokens and the burst left now, with the bucket's shape (the sub-token part of a refill is not kept).</summary>
    public TokenBucketState SaveState()
    {
        Refill();
        return new TokenBucketState { Size = Size, RefillTimeMs = (long)RefillTime.TotalMilliseconds, Budget = _budget, OneTimeBurst = _burst };
    }

    /// <summary>
    /// Takes up a saved bucket's tokens and burst. Refill goes on from now: time that passed while the VM was saved
    /// does not count, as in Firecracker.
    /// </summary>
    /// <exception cref="DeviceStateException">The state is of a bucket of another size or refill time, or its
    /// figures are impossible (more tokens than the size, a negative burst).</exception>
    public void RestoreState(TokenBucketState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        const string Device = "rate limiter";
        DeviceStateException.Require(state.Size == Size && state.RefillTimeMs == (long)RefillTime.TotalMilliseconds, Device, nameof(state.Size),
            $"is a bucket of {state.Size} tokens per {state.RefillTimeMs} ms, and this one holds {Size} per {(long)RefillTime.TotalMilliseconds} ms");
        DeviceStateException.Require(state.Budget <= Size && state.Budget >= -(long.MaxValue / 4), Device, nameof(state.Budget), $"is {state.Budget} for a bucket of {Size}");
        DeviceStateException.Require(state.OneTimeBurst >= 0, Device, nameof(state.OneTimeBurst), "is negative");
        _budget = state.Budget;
        _burst = state.OneTimeBurst;
        _residue = 0;
        _lastUpdate = _clock.GetTimestamp();
    }

    /// <summary>Whether <paramref name="tokens"/> could be taken now (after the refill due); changes no budget.</summary>
    internal bool CanConsume(long tokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        Refill();
        return _budget >= Target(tokens);
    }

    /// <summary>Takes <paramref name="tokens"/>, burst first; call right after <see cref="CanConsume"/> said yes.</summary>
    internal void Consume(long tokens)
    {
        long fromBurst = Math.Min(_burst, tokens);
        _burst -= fromBurst;
        _budget -= tokens - fromBurst;
    }

    // What the budget must be for a request of tokens to pass: what the burst does not cover, or, for more than the
    // bucket can ever hold, only that the bucket is not in debt.
    private long Target(long tokens)
    {
        long fromBucket = tokens - Math.Min(_burst, tokens);
        return fromBucket > Size ? 0 : fromBucket;
    }

    private void Refill()
    {
        long now = _clock.GetTimestamp();
        long elapsed = now - _lastUpdate;
        if (elapsed <= 0)
        {
            return;
        }

        _lastUpdate = now;
        if (_budget >= Size)
        {
            _residue = 0; // a full bucket stores no credit for later
            return;
        }

        // Far past any refill this bucket could need (and past what Int128 holds): full.
        if (elapsed > (Int128.MaxValue / 4) / _tokensPerTickScaled)
        {
            _budget = Size;
            _residue = 0;
            return;
        }

        Int128 scaled = _residue + (elapsed * _tokensPerTickScaled);
        Int128 tokens = scaled / _refillScale;
        if (tokens >= (Int128)Size - _budget)
        {
            _budget = Size;
            _residue = 0;
        }
        else
        {
            _budget += (long)tokens;
            _residue = scaled % _refillScale;
        }
    }

    private static Int128 CeilingDivide(Int128 dividend, Int128 divisor) => (dividend + divisor - 1) / divisor;
}
