using SharpVmm.Devices.Virtio;
using SharpVmm.Devices.Virtio.Console;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Virtio;

[Tier(TestTiers.Unit)]
public sealed class VirtioConsoleDeviceTests : IDisposable
{
    private readonly VirtQueueBuilder _rx = new(size: 8);
    private readonly VirtQueueBuilder _tx;
    private readonly FakeVirtioInterrupt _interrupt = new();
    private readonly MemoryStream _output = new();
    private readonly VirtioConsoleDevice _device;

    public VirtioConsoleDeviceTests()
    {
        _tx = new VirtQueueBuilder(size: 8, memory: _rx.Memory);
        // The second builder shares the memory: move its rings and data out of the first one's way.
        _tx.Config.DescriptorTable = new(0x8000);
        _tx.Config.DriverArea = new(0x8100);
        _tx.Config.DeviceArea = new(0x8200);
        _device = new VirtioConsoleDevice(_output, queueSize: 8);
    }

    public void Dispose()
    {
        _device.Dispose();
        _rx.Dispose();
    }

    private void Activate() =>
        _device.Activate(new VirtioActivation(_rx.Memory, _device.DeviceFeatures, [_rx.Config, _tx.Config], _interrupt));

    /// <summary>Activates the device and waits until its thread has made its first pass and sleeps.</summary>
    private void ActivateAndWaitUntilIdle()
    {
        Activate();
        Assert.True(FakeVirtioInterrupt.WaitFor(() => _device.IdleWaits(VirtioConsoleDevice.TransmitQueue) >= 1), "the device thread never went to sleep");
    }

    /// <summary>From a sleeping device thread: does <paramref name="wake"/>, then waits until the thread has made the pass
    /// that wake-up caused and sleeps again, so whatever that pass did is done.</summary>
    private void WakeAndWaitUntilIdleAgain(Action wake)
    {
        long before = _device.IdleWaits(VirtioConsoleDevice.TransmitQueue);
        wake();
        Assert.True(FakeVirtioInterrupt.WaitFor(() => _device.IdleWaits(VirtioConsoleDevice.TransmitQueue) > before), "the device thread never went back to sleep");
    }

    [Fact]
    public void Guest_output_reaches_the_stream()
    {
        Activate();
        _tx.AddChain(ChainBuffer.In("hello, "u8), ChainBuffer.In("world\n"u8));
        _device.Notify(VirtioConsoleDevice.TransmitQueue);

        Assert.True(FakeVirtioInterrupt.WaitFor(() => _tx.UsedIdx == 1));
        Assert.Equal("hello, world\n"u8.ToArray(), _output.ToArray());
        Assert.Equal(0u, _tx.Used(0).Length);
        Assert.Equal(13, _device.BytesTransmitted);
    }

    [Fact]
    public void Host_input_waits_for_receive_buffers_and_is_split_across_them()
    {
        ActivateAndWaitUntilIdle();
        WakeAndWaitUntilIdleAgain(() => _device.EnqueueInput("abcdef"u8));
        Assert.Equal(0, _rx.UsedIdx); // no buffers yet: the pass the input caused used none

        BuiltChain first = _rx.AddChain(ChainBuffer.Out(4));
        BuiltChain second = _rx.AddChain(ChainBuffer.Out(4));
        _device.Notify(VirtioConsoleDevice.ReceiveQueue);

        Assert.True(FakeVirtioInterrupt.WaitFor(() => _rx.UsedIdx == 2));
        Assert.Equal((first.Head, 4u), _rx.Used(0));
        Assert.Equal((second.Head, 2u), _rx.Used(1));
        Assert.Equal("abcd"u8.ToArray(), _rx.ReadBuffer(first, 0));
        Assert.Equal("ef"u8.ToArray(), _rx.ReadBuffer(second, 0)[..2]);
        Assert.Equal(6, _device.BytesReceived);
    }

    [Fact]
    public void Input_arriving_after_buffers_were_posted_is_delivered_without_a_kick()
    {
        ActivateAndWaitUntilIdle();
        BuiltChain chain = _rx.AddChain(ChainBuffer.Out(16));
        WakeAndWaitUntilIdleAgain(() => _device.Notify(VirtioConsoleDevice.ReceiveQueue));
        Assert.Equal(0, _rx.UsedIdx); // nothing to give yet: the buffer stays posted

        _device.EnqueueInput("ls\n"u8);
        Assert.True(FakeVirtioInterrupt.WaitFor(() => _rx.UsedIdx == 1));
        Assert.Equal("ls\n"u8.ToArray(), _rx.ReadBuffer(chain, 0)[..3]);
    }

    [Fact]
    public void A_broken_transmit_ring_asks_for_a_reset_and_drops_no_host_state()
    {
        Activate();
        _tx.Publish(100);
        _device.Notify(VirtioConsoleDevice.TransmitQueue);
        Assert.True(FakeVirtioInterrupt.WaitFor(() => _interrupt.NeedsResetSignals == 1));
        Assert.Empty(_output.ToArray());
        Assert.Equal(VirtioDeviceType.Console, _device.DeviceType);
        Assert.Equal([8, 8], _device.QueueMaxSizes);
    }

    [Fact]
    public void Both_queues_share_the_worker_notification_handle_and_signalling_it_transmits()
    {
        ActivateAndWaitUntilIdle(); // the start-up pass found the ring empty: only a wake-up can find the chain below
        System.Runtime.InteropServices.SafeHandle? handle = _device.QueueNotificationHandle(VirtioConsoleDevice.TransmitQueue);
        Assert.NotNull(handle);
        Assert.Same(handle, _device.QueueNotificationHandle(VirtioConsoleDevice.ReceiveQueue));
        Assert.Null(_device.QueueNotificationHandle(2));
        Assert.Equal(0, _device.IdleWaits(2));
        _tx.AddChain(ChainBuffer.In("kvm\n"u8));

        EventFdWriter.Signal(handle);

        Assert.True(FakeVirtioInterrupt.WaitFor(() => _tx.UsedIdx == 1), "the signal did not wake the device");
        Assert.Equal("kvm\n"u8.ToArray(), _output.ToArray());
    }
}
