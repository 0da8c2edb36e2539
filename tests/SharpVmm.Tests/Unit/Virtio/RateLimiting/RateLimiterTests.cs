using Microsoft.Extensions.Time.Testing;
using SharpVmm.Devices.Virtio.RateLimiting;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Virtio.RateLimiting;

/// <summary>A limiter's two buckets pay for a request together or not at all, and a refusal says how long to wait.</summary>
[Tier(TestTiers.Unit)]
public sealed class RateLimiterTests
{
    private readonly FakeTimeProvider _clock = new();

    private TokenBucket Bucket(long size, int refillMs) => new(size, 0, TimeSpan.FromMilliseconds(refillMs), _clock);

    [Fact]
    public void A_limiter_without_buckets_lets_everything_through_and_counts_no_throttling()
    {
        var limiter = new RateLimiter();

        Assert.False(limiter.LimitsAnything);
        Assert.True(limiter.TryConsume(long.MaxValue, 1_000_000, out TimeSpan wait));
        Assert.Equal(TimeSpan.Zero, wait);
        Assert.Equal(0, limiter.ThrottledEvents);
    }

    [Fact]
    public void A_request_one_bucket_cannot_pay_for_takes_nothing_from_the_other()
    {
        var limiter = new RateLimiter();
        limiter.SetBandwidth(Bucket(1000, 1000));
        limiter.SetOps(Bucket(2, 1000));

        Assert.True(limiter.TryConsume(400, 1, out _));
        Assert.False(limiter.TryConsume(700, 1, out TimeSpan wait)); // bandwidth has 600

        Assert.Equal(1, limiter.Ops!.Budget);
        Assert.Equal(600, limiter.Bandwidth!.Budget);
        Assert.Equal(TimeSpan.FromMilliseconds(100), wait);
        Assert.Equal(1, limiter.ThrottledEvents);
    }

    [Fact]
    public void The_wait_reported_is_the_longer_of_the_two_buckets()
    {
        var limiter = new RateLimiter();
        limiter.SetBandwidth(Bucket(1000, 1000));
        limiter.SetOps(Bucket(1, 2000));
        Assert.True(limiter.TryConsume(1000, 1, out _));

        Assert.False(limiter.TryConsume(500, 1, out TimeSpan wait));

        Assert.Equal(TimeSpan.FromSeconds(2), wait);
        _clock.Advance(wait);
        Assert.True(limiter.TryConsume(500, 1, out _));
        Assert.Equal(1, limiter.ThrottledEvents);
    }

    [Fact]
    public void Removing_a_bucket_lifts_its_limit_at_once()
    {
        var limiter = new RateLimiter();
        limiter.SetOps(Bucket(1, 60_000));
        Assert.True(limiter.TryConsume(0, 1, out _));
        Assert.False(limiter.TryConsume(0, 1, out _));

        limiter.SetOps(null);

        Assert.True(limiter.TryConsume(0, 1, out _));
        Assert.False(limiter.LimitsAnything);
    }

    [Fact]
    public void A_limiter_restores_the_buckets_it_has_and_refuses_a_bucket_it_lacks()
    {
        RateLimiter saved = Limiter(withOps: true);
        Assert.True(saved.TryConsume(600, 4, out _));
        RateLimiterState state = saved.SaveState();
        RateLimiter restored = Limiter(withOps: true);
        RateLimiter bandwidthOnly = Limiter(withOps: false);

        restored.RestoreState(state);

        Assert.Equal((400L, 6L), (restored.Bandwidth!.Budget, restored.Ops!.Budget));
        Assert.Throws<SharpVmm.Devices.DeviceStateException>(() => bandwidthOnly.RestoreState(state));
        Assert.Throws<SharpVmm.Devices.DeviceStateException>(() => restored.RestoreState(new RateLimiterState()));
    }

    // 1000 bytes and, when asked, 10 operations a second.
    private RateLimiter Limiter(bool withOps)
    {
        var limiter = new RateLimiter();
        limiter.SetBandwidth(Bucket(1000, 1000));
        if (withOps)
        {
            limiter.SetOps(Bucket(10, 1000));
        }

        return limiter;
    }
}
