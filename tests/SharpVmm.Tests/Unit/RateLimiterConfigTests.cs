using SharpVmm.Configuration;
using SharpVmm.Devices.Virtio.RateLimiting;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit;

/// <summary>Firecracker's <c>rate_limiter</c> objects in a VM's JSON, and how they reach a device's limiter.</summary>
[Tier(TestTiers.Unit)]
public sealed class RateLimiterConfigTests
{
    private const string Limited = """
        {
          "boot-source": { "kernel_image_path": "k" },
          "drives": [ { "drive_id": "a", "path_on_host": "a",
            "rate_limiter": { "bandwidth": { "size": 1048576, "one_time_burst": 4194304, "refill_time": 1000 }, "ops": { "size": 100, "refill_time": 500 } } } ],
          "network-interfaces": [ { "iface_id": "e", "host_dev_name": "tap0",
            "rx_rate_limiter": { "bandwidth": { "size": 125000, "refill_time": 100 } }, "tx_rate_limiter": { "ops": { "size": 0, "refill_time": 0 } } } ],
          "entropy": { "rate_limiter": { "bandwidth": { "size": 1000, "refill_time": 100 } } }
        }
        """;

    [Fact]
    public void Limiters_in_firecrackers_shape_are_read_validated_and_survive_a_round_trip()
    {
        VmConfig config = VmConfigJson.Parse(Limited);
        config.Validate(checkHostResources: false);

        RateLimiterConfig drive = config.Drives[0].RateLimiter!;
        Assert.Equal(new TokenBucketConfig { Size = 1048576, OneTimeBurst = 4194304, RefillTime = 1000 }, drive.Bandwidth);
        Assert.Equal(new TokenBucketConfig { Size = 100, RefillTime = 500 }, drive.Ops);
        Assert.Equal(125000, config.NetworkInterfaces[0].RxRateLimiter!.Bandwidth!.Size);
        Assert.Equal(1000, config.Entropy!.RateLimiter!.Bandwidth!.Size);
        string json = VmConfigJson.Serialize(config);
        Assert.Equal(json, VmConfigJson.Serialize(VmConfigJson.Parse(json)));
        Assert.Contains("\"one_time_burst\": 4194304", json, StringComparison.Ordinal);
        Assert.Contains("\"refill_time\": 500", json, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bucket_with_size_or_refill_time_zero_limits_nothing_as_in_firecracker()
    {
        VmConfig config = VmConfigJson.Parse(Limited);
        RateLimiterConfig tx = config.NetworkInterfaces[0].TxRateLimiter!;

        Assert.False(tx.LimitsAnything);
        Assert.Null(tx.Ops!.CreateBucket());
        Assert.Null(new TokenBucketConfig { Size = 5, RefillTime = 0 }.CreateBucket());
        Assert.True(config.Drives[0].RateLimiter!.LimitsAnything);
    }

    [Fact]
    public void Applying_a_limiter_replaces_the_buckets_it_names_removes_zero_ones_and_keeps_the_others()
    {
        var limiter = new RateLimiter();
        new RateLimiterConfig
        {
            Bandwidth = new TokenBucketConfig { Size = 1000, OneTimeBurst = 10, RefillTime = 100 },
            Ops = new TokenBucketConfig { Size = 5, RefillTime = 1000 },
        }.ApplyTo(limiter);
        TokenBucket bandwidth = limiter.Bandwidth!;
        Assert.Equal((1000L, 10L, TimeSpan.FromMilliseconds(100)), (bandwidth.Size, bandwidth.OneTimeBurst, bandwidth.RefillTime));

        new RateLimiterConfig { Ops = new TokenBucketConfig { Size = 0, RefillTime = 0 } }.ApplyTo(limiter);

        Assert.Same(bandwidth, limiter.Bandwidth);
        Assert.Null(limiter.Ops);
    }
}
