using SharpVmm.Devices.Virtio;
using SharpVmm.Devices.Virtio.Net;
using SharpVmm.Devices.Virtio.RateLimiting;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Virtio.RateLimiting;

/// <summary>
/// virtio-net's two limiters: a frame the guest sends waits in transmitq0, and a frame for the guest waits in the
/// device (the ones behind it in the back-end), while its limiter's buckets cannot pay; lifting the limit lets them go.
/// </summary>
[Tier(TestTiers.Unit)]
public sealed class RateLimitedNetDeviceTests
{
    private static readonly byte[] Mac = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
    private static readonly TimeSpan Forever = TimeSpan.FromMinutes(10);

    private static VirtioActivation Activation(VirtQueueBuilder queue, FakeVirtioInterrupt irq, bool transmit)
    {
        var unused = new VirtQueueConfig(queue.Size);
        VirtQueueConfig[] queues = transmit ? [unused, queue.Config] : [queue.Config, unused];
        return new VirtioActivation(queue.Memory, VirtioFeatures.Common | VirtioNetFeatures.Mac, queues, irq);
    }

    private static byte[] Frame(int length, byte seed) => [.. new byte[VirtioNetHeader.Size], .. Enumerable.Repeat(seed, length)];

    [Fact]
    public void A_frame_the_tx_limiter_cannot_pay_for_stays_in_the_ring_until_the_limit_is_lifted()
    {
        using var tx = new VirtQueueBuilder();
        var backend = new FakeNetworkBackend();
        using var device = new VirtioNetDevice(backend, Mac);
        device.TxRateLimiter.SetOps(new TokenBucket(1, 0, Forever));
        device.Activate(Activation(tx, new FakeVirtioInterrupt(), transmit: true));

        tx.AddChain(ChainBuffer.In(Frame(60, 1)));
        tx.AddChain(ChainBuffer.In(Frame(60, 2)));
        device.Notify(VirtioNetDevice.TransmitQueue);
        Assert.True(FakeVirtioInterrupt.WaitFor(() => device.TxRateLimiter.ThrottledEvents >= 1), "the second frame was never refused");
        Thread.Sleep(100);

        Assert.Equal(1, tx.UsedIdx);
        Assert.Single(backend.Written);
        device.TxRateLimiter.SetOps(null);
        Assert.True(FakeVirtioInterrupt.WaitFor(() => tx.UsedIdx == 2), "the waiting frame was not sent once the limit was lifted");
        Assert.Equal(2, backend.Written.Count);
        Assert.Equal(2, backend.Written[1][^1]);
    }

    [Fact]
    public void A_frame_the_rx_limiter_cannot_pay_for_waits_in_the_device_and_the_rest_in_the_backend()
    {
        using var rx = new VirtQueueBuilder();
        var backend = new FakeNetworkBackend();
        using var device = new VirtioNetDevice(backend, Mac);
        device.RxRateLimiter.SetBandwidth(new TokenBucket(100, 0, Forever));
        for (int i = 0; i < 3; i++)
        {
            rx.AddChain(ChainBuffer.Out(VirtioNetHeader.Size + 1514));
        }

        device.Activate(Activation(rx, new FakeVirtioInterrupt(), transmit: false));
        backend.Enqueue(Frame(80, 1));
        backend.Enqueue(Frame(80, 2));
        backend.Enqueue(Frame(80, 3));
        Assert.True(FakeVirtioInterrupt.WaitFor(() => device.RxRateLimiter.ThrottledEvents >= 1), "the second frame was never refused");
        Thread.Sleep(100);

        Assert.Equal((1L, 1), (device.RxFrames, (int)rx.UsedIdx));
        Assert.Equal(1, backend.PendingInbound);
        device.RxRateLimiter.SetBandwidth(null);
        Assert.True(FakeVirtioInterrupt.WaitFor(() => rx.UsedIdx == 3), "the waiting frames were not delivered once the limit was lifted");
        Assert.Equal(0L, device.RxDropped);
    }
}
