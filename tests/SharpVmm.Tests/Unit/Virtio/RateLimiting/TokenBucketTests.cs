using Microsoft.Extensions.Time.Testing;
using SharpVmm.Devices.Virtio.RateLimiting;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Virtio.RateLimiting;

/// <summary>A token bucket driven by a clock the test moves: refill, the one-time burst, oversized requests and waits.</summary>
[Tier(TestTiers.Unit)]
public sealed class TokenBucketTests
{
    private readonly FakeTimeProvider _clock = new();

    private TokenBucket Bucket(long size, long burst = 0, int refillMs = 1000) =>
        new(size, burst, TimeSpan.FromMilliseconds(refillMs), _clock);

    [Fact]
    public void A_new_bucket_is_full_pays_up_to_its_size_and_then_refuses_without_taking_anything()
    {
        TokenBucket bucket = Bucket(100);

        Assert.True(bucket.TryConsume(60));
        Assert.True(bucket.TryConsume(40));
        Assert.False(bucket.TryConsume(1));
        Assert.Equal(0, bucket.Budget);
        Assert.True(bucket.TryConsume(0));
    }

    [Fact]
    public void The_bucket_refills_in_proportion_to_the_time_passed_and_never_beyond_its_size()
    {
        TokenBucket bucket = Bucket(100, refillMs: 1000);
        Assert.True(bucket.TryConsume(100));

        _clock.Advance(TimeSpan.FromMilliseconds(250));
        Assert.Equal(25, bucket.Budget);
        Assert.False(bucket.TryConsume(26));
        Assert.True(bucket.TryConsume(25));

        _clock.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(100, bucket.Budget);
    }

    [Fact]
    public void Fractions_of_a_token_are_carried_over_so_many_small_steps_refill_as_much_as_one_long_one()
    {
        TokenBucket bucket = Bucket(3, refillMs: 1000); // 0.6 tokens per 200 ms
        Assert.True(bucket.TryConsume(3));

        for (int i = 0; i < 5; i++)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(200));
            _ = bucket.Budget; // each look refills what is due
        }

        Assert.Equal(3, bucket.Budget);
    }

    [Fact]
    public void The_one_time_burst_is_spent_before_the_bucket_and_never_refills()
    {
        TokenBucket bucket = Bucket(10, burst: 50);

        Assert.True(bucket.TryConsume(45));
        Assert.Equal((5L, 10L), (bucket.OneTimeBurst, bucket.Budget));
        Assert.True(bucket.TryConsume(12)); // 5 from the burst, 7 from the bucket
        Assert.Equal((0L, 3L), (bucket.OneTimeBurst, bucket.Budget));
        Assert.False(bucket.TryConsume(4));
        Assert.Equal(3, bucket.Budget);

        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal((0L, 10L), (bucket.OneTimeBurst, bucket.Budget));
    }

    [Fact]
    public void A_request_larger_than_the_bucket_passes_when_it_is_not_in_debt_and_blocks_everything_until_the_debt_is_repaid()
    {
        TokenBucket bucket = Bucket(100, refillMs: 1000);

        Assert.True(bucket.TryConsume(400));
        Assert.Equal(-300, bucket.Budget);
        Assert.False(bucket.TryConsume(1));
        Assert.False(bucket.TryConsume(400));
        Assert.Equal(TimeSpan.FromSeconds(3), bucket.TimeUntilAvailable(400));

        _clock.Advance(TimeSpan.FromSeconds(3));
        Assert.True(bucket.TryConsume(400)); // an empty bucket is not in debt: the next big one goes, and owes again
        Assert.Equal(-400, bucket.Budget);
    }

    [Fact]
    public void Time_until_available_is_when_the_refill_covers_the_missing_tokens_rounded_up()
    {
        TokenBucket bucket = Bucket(1000, refillMs: 1000); // one token per millisecond
        Assert.True(bucket.TryConsume(1000));
        Assert.Equal(TimeSpan.Zero, bucket.TimeUntilAvailable(0));
        Assert.Equal(TimeSpan.FromMilliseconds(300), bucket.TimeUntilAvailable(300));

        _clock.Advance(TimeSpan.FromMilliseconds(100));
        TimeSpan wait = bucket.TimeUntilAvailable(300);
        Assert.Equal(TimeSpan.FromMilliseconds(200), wait);
        _clock.Advance(wait - TimeSpan.FromTicks(1));
        Assert.False(bucket.TryConsume(300));
        _clock.Advance(TimeSpan.FromTicks(1));
        Assert.True(bucket.TryConsume(300));

        TokenBucket slow = Bucket(3, refillMs: 1000);
        Assert.True(slow.TryConsume(3));
        Assert.Equal(TimeSpan.FromTicks(3_333_334), slow.TimeUntilAvailable(1)); // a third of a second, rounded up
    }

    [Theory]
    [InlineData(0, 0, 1000)]
    [InlineData(-1, 0, 1000)]
    [InlineData(10, -1, 1000)]
    [InlineData(10, 0, 0)]
    public void A_bucket_with_no_size_no_refill_time_or_a_negative_burst_cannot_be_made(long size, long burst, int refillMs)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Bucket(size, burst, refillMs));
    }

    [Fact]
    public void A_saved_bucket_restores_its_tokens_and_burst_and_refills_from_the_moment_it_is_restored()
    {
        TokenBucket saved = Bucket(100, burst: 50, refillMs: 1000);
        Assert.True(saved.TryConsume(80)); // 50 from the burst, 30 from the bucket
        TokenBucketState state = saved.SaveState();
        TokenBucket restored = Bucket(100, burst: 50, refillMs: 1000);

        restored.RestoreState(state);
        _clock.Advance(TimeSpan.FromMilliseconds(100));

        Assert.Equal((100L, 1000L, 70L, 0L), (state.Size, state.RefillTimeMs, state.Budget, state.OneTimeBurst));
        Assert.Equal(80, restored.Budget);
        Assert.Equal(0, restored.OneTimeBurst);
    }

    [Theory]
    [InlineData(200, 1000, 10, 0)]
    [InlineData(100, 500, 10, 0)]
    [InlineData(100, 1000, 101, 0)]
    [InlineData(100, 1000, 10, -1)]
    public void A_bucket_refuses_the_state_of_another_shape_or_impossible_figures(long size, long refillMs, long budget, long burst)
    {
        TokenBucket bucket = Bucket(100, refillMs: 1000);

        Assert.Throws<SharpVmm.Devices.DeviceStateException>(() => bucket.RestoreState(new TokenBucketState { Size = size, RefillTimeMs = refillMs, Budget = budget, OneTimeBurst = burst }));
        Assert.Equal(100, bucket.Budget);
    }
}
