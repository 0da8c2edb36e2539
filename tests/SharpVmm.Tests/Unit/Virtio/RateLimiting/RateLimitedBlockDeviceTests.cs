using System.Buffers.Binary;
using System.Diagnostics;
using SharpVmm.Devices.Virtio;
using SharpVmm.Devices.Virtio.Block;
using SharpVmm.Devices.Virtio.RateLimiting;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Virtio.RateLimiting;

/// <summary>
/// A real virtio-blk device on a real image file with its rate limiter set: a request its buckets cannot pay for
/// stays in the ring, and is served when the buckets refill (with no kick) or are replaced, and the device still
/// pauses and resets at once while it waits.
/// </summary>
[Tier(TestTiers.Unit)]
public sealed class RateLimitedBlockDeviceTests : IDisposable
{
    private const uint In = 0;
    private static readonly TimeSpan Forever = TimeSpan.FromMinutes(10);

    private readonly string _path = Path.Combine(Path.GetTempPath(), $"sharpvmm-rate-{Guid.NewGuid():N}.img");
    private readonly VirtQueueBuilder _queue = new(size: 16);
    private readonly FakeVirtioInterrupt _interrupt = new();
    private readonly VirtioBlockDevice _device;

    public RateLimitedBlockDeviceTests()
    {
        File.WriteAllBytes(_path, [.. Enumerable.Range(0, 64 * 512).Select(i => (byte)(i / 512))]);
        _device = new VirtioBlockDevice(new RawDiskImage(_path, readOnly: true), "vdr", queueSize: 16);
        _device.Activate(new VirtioActivation(_queue.Memory, _device.DeviceFeatures, [_queue.Config], _interrupt));
    }

    public void Dispose()
    {
        _device.Dispose();
        _queue.Dispose();
        File.Delete(_path);
    }

    private BuiltChain Read(ulong sector, uint bytes)
    {
        var header = new byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(header, In);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(8), sector);
        BuiltChain chain = _queue.AddChain(ChainBuffer.In(header), ChainBuffer.Out(bytes), ChainBuffer.Out(1));
        _device.Notify(0);
        return chain;
    }

    private void WaitUntilThrottled(long events) =>
        Assert.True(FakeVirtioInterrupt.WaitFor(() => _device.RateLimiter.ThrottledEvents >= events), "the limiter never refused the request");

    [Fact]
    public void A_request_the_ops_bucket_cannot_pay_for_stays_in_the_ring_until_the_bucket_is_removed()
    {
        _device.RateLimiter.SetOps(new TokenBucket(1, 0, Forever));
        Read(1, 512);
        Assert.True(FakeVirtioInterrupt.WaitFor(() => _queue.UsedIdx == 1), "the first request, which the bucket pays for, was not served");

        BuiltChain second = Read(2, 512);
        WaitUntilThrottled(1);
        Thread.Sleep(100);

        Assert.Equal(1, _queue.UsedIdx);
        Assert.Equal(1, _device.Counters.Requests);
        _device.RateLimiter.SetOps(null); // no kick: replacing a bucket wakes the device
        Assert.True(FakeVirtioInterrupt.WaitFor(() => _queue.UsedIdx == 2), "the waiting request was not served once the limit was lifted");
        Assert.Equal(second.Head, (ushort)_queue.Used(1).Id);
        Assert.All(_queue.ReadBuffer(second, 1), b => Assert.Equal(2, b));
    }

    [Fact]
    public void A_read_the_bandwidth_bucket_cannot_pay_for_is_served_when_the_bucket_refills_without_another_kick()
    {
        _device.RateLimiter.SetBandwidth(new TokenBucket(4096, 0, TimeSpan.FromMilliseconds(800)));
        var clock = Stopwatch.StartNew(); // the first read cannot empty the bucket before this
        Read(0, 4096);
        Assert.True(FakeVirtioInterrupt.WaitFor(() => _queue.UsedIdx == 1));

        Read(8, 2048); // half the bucket: 400 ms of refill after the first read
        Assert.True(FakeVirtioInterrupt.WaitFor(() => _queue.UsedIdx == 2), "the throttled read was never served");

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(350), $"the second read was served after {clock.Elapsed.TotalMilliseconds} ms, before the bucket could refill");
        Assert.True(_device.RateLimiter.ThrottledEvents >= 1);
        Assert.Equal(4096 + 2048, _device.Counters.BytesRead);
    }

    [Fact]
    public void A_device_waiting_on_its_limiter_pauses_resumes_and_resets_at_once()
    {
        _device.RateLimiter.SetOps(new TokenBucket(1, 0, Forever));
        Read(1, 512);
        Assert.True(FakeVirtioInterrupt.WaitFor(() => _queue.UsedIdx == 1));
        Read(2, 512);
        WaitUntilThrottled(1);

        var clock = Stopwatch.StartNew();
        _device.Pause();
        _device.Resume();
        WaitUntilThrottled(2); // the resume looked at the ring again, and was refused again
        _device.Reset();

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"pause, resume and reset took {clock.Elapsed} (a stop gives up after 3 s)");
        Assert.Null(_device.Failure);
        Assert.Equal(1, _queue.UsedIdx);
        Assert.Null(_device.QueueBrokenReason);
    }
}
