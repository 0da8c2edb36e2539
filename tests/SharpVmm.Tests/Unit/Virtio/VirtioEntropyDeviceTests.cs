using SharpVmm.Devices.Virtio;
using SharpVmm.Devices.Virtio.Entropy;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Virtio;

[Tier(TestTiers.Unit)]
public sealed class VirtioEntropyDeviceTests : IDisposable
{
    private readonly VirtQueueBuilder _queue = new(size: 8);
    private readonly FakeVirtioInterrupt _interrupt = new();

    private sealed class CountingSource : IEntropySource
    {
        private byte _next;

        public bool Fail { get; set; }

        public void Fill(Span<byte> destination)
        {
            if (Fail)
            {
                throw new IOException("no entropy");
            }

            foreach (ref byte b in destination)
            {
                b = ++_next;
            }
        }
    }

    public void Dispose() => _queue.Dispose();

    private VirtioEntropyDevice Start(IEntropySource? source)
    {
        var device = new VirtioEntropyDevice(source, queueSize: 8);
        device.Activate(new VirtioActivation(_queue.Memory, device.DeviceFeatures, [_queue.Config], _interrupt));
        return device;
    }

    private uint Submit(VirtioEntropyDevice device, out BuiltChain chain, params ChainBuffer[] buffers)
    {
        ushort before = _queue.UsedIdx;
        chain = _queue.AddChain(buffers);
        device.Notify(0);
        Assert.True(FakeVirtioInterrupt.WaitFor(() => _queue.UsedIdx != before), "the device did not answer");
        return _queue.Used(before).Length;
    }

    [Fact]
    public void Writable_buffers_are_filled_from_the_source()
    {
        using VirtioEntropyDevice device = Start(new CountingSource());
        uint used = Submit(device, out BuiltChain chain, ChainBuffer.Out(3), ChainBuffer.Out(2));

        Assert.Equal(5u, used);
        Assert.Equal(new byte[] { 1, 2, 3 }, _queue.ReadBuffer(chain, 0));
        Assert.Equal(new byte[] { 4, 5 }, _queue.ReadBuffer(chain, 1));
        Assert.Equal(5, device.BytesProvided);
        Assert.True(_interrupt.UsedSignals > 0);
        Assert.Equal(VirtioDeviceType.Entropy, device.DeviceType);
    }

    [Fact]
    public void A_paused_device_leaves_its_queue_alone_and_answers_on_resume()
    {
        using VirtioEntropyDevice device = Start(new CountingSource());
        Submit(device, out _, ChainBuffer.Out(4)); // the worker is up and has served a request

        device.Pause();
        ushort before = _queue.UsedIdx;
        BuiltChain chain = _queue.AddChain(ChainBuffer.Out(3));
        byte[] untouched = _queue.ReadBuffer(chain, 0);
        device.Notify(0);
        Thread.Sleep(200);
        Assert.Equal(before, _queue.UsedIdx);
        Assert.Equal(untouched, _queue.ReadBuffer(chain, 0));

        device.Resume();
        Assert.True(FakeVirtioInterrupt.WaitFor(() => _queue.UsedIdx != before), "the device did not take up the request after resume");
        Assert.Equal(new byte[] { 5, 6, 7 }, _queue.ReadBuffer(chain, 0));
    }

    [Fact]
    public void The_host_source_gives_bytes_that_are_not_all_zero()
    {
        using VirtioEntropyDevice device = Start(null);
        uint used = Submit(device, out BuiltChain chain, ChainBuffer.Out(64));
        Assert.Equal(64u, used);
        Assert.Contains(_queue.ReadBuffer(chain, 0), b => b != 0 && b != 0xEE);
    }

    [Fact]
    public void A_request_without_writable_buffers_or_a_failing_source_is_answered_with_nothing()
    {
        var source = new CountingSource();
        using VirtioEntropyDevice device = Start(source);
        Assert.Equal(0u, Submit(device, out _, ChainBuffer.In("x"u8)));

        source.Fail = true;
        Assert.Equal(0u, Submit(device, out _, ChainBuffer.Out(8)));
        Assert.Equal(1, device.Errors);
        Assert.Equal(2, device.Requests);
    }

    [Fact]
    public void Signalling_the_queue_notification_handle_fills_posted_buffers()
    {
        using VirtioEntropyDevice device = Start(new CountingSource());
        Assert.Null(device.QueueNotificationHandle(1));
        // The start-up pass found the ring empty and the thread sleeps: only a wake-up can find the chain below.
        Assert.True(FakeVirtioInterrupt.WaitFor(() => device.IdleWaits(0) >= 1), "the device thread never went to sleep");
        BuiltChain chain = _queue.AddChain(ChainBuffer.Out(4));

        EventFdWriter.Signal(device.QueueNotificationHandle(0)!);

        Assert.True(FakeVirtioInterrupt.WaitFor(() => _queue.UsedIdx == 1), "the signal did not wake the device");
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, _queue.ReadBuffer(chain, 0));
    }
}
