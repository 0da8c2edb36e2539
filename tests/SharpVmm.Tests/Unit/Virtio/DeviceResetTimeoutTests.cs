using System.Diagnostics;
using SharpVmm.Devices;
using SharpVmm.Devices.Virtio;
using SharpVmm.Devices.Virtio.Entropy;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Virtio;

/// <summary>
/// A reset (the driver writing 0 to the status, on a vCPU thread) waits for a busy device thread only a bounded time:
/// the device is then broken and says so (DEVICE_NEEDS_RESET, <see cref="IDeviceHealth.Failure"/>), and the thread,
/// once its request returns, takes no other.
/// </summary>
[Tier(TestTiers.Unit)]
public sealed class DeviceResetTimeoutTests : IDisposable
{
    private const byte Acknowledge = (byte)VirtioDeviceStatus.Acknowledge, Driver = (byte)VirtioDeviceStatus.Driver;
    private const byte FeaturesOk = (byte)VirtioDeviceStatus.FeaturesOk, DriverOk = (byte)VirtioDeviceStatus.DriverOk;

    private readonly VirtQueueBuilder _queue = new(size: 8);
    private readonly FakeVirtioInterrupt _interrupt = new();
    private readonly BlockingSource _source = new();

    /// <summary>An entropy source whose fill blocks until released: a device thread stuck in one long request.</summary>
    private sealed class BlockingSource : IEntropySource, IDisposable
    {
        private readonly ManualResetEventSlim _release = new();
        private int _fills;

        public ManualResetEventSlim Entered { get; } = new();

        public int Fills => Volatile.Read(ref _fills);

        public void Fill(Span<byte> destination)
        {
            Interlocked.Increment(ref _fills);
            Entered.Set();
            _release.Wait();
            destination.Fill(0xAB);
        }

        public void Release() => _release.Set();

        public void Dispose()
        {
            _release.Dispose();
            Entered.Dispose();
        }
    }

    public void Dispose()
    {
        _source.Release();
        _source.Dispose();
        _queue.Dispose();
    }

    [Fact]
    public void A_reset_returns_within_the_bound_while_the_device_thread_is_stuck_and_the_device_needs_a_reset()
    {
        using var device = new VirtioEntropyDevice(_source, queueSize: 8);
        int configChanges = 0;
        var state = new VirtioTransportState(device, _queue.Memory, _interrupt, () => configChanges++, () => { });
        BringUp(state);
        _queue.AddChain(ChainBuffer.Out(16));
        state.Notify(0);
        Assert.True(_source.Entered.Wait(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken), "the device thread did not take the request");

        var clock = Stopwatch.StartNew();
        Assert.True(state.WriteStatus(0)); // the vCPU's reset, with the device thread stuck in Fill
        clock.Stop();

        var failure = Assert.IsType<DeviceStopTimeoutException>(device.Failure);
        Assert.InRange(clock.Elapsed, failure.Timeout - TimeSpan.FromMilliseconds(100), failure.Timeout + TimeSpan.FromSeconds(10)); // upper: a loaded host may deschedule the resetting thread
        Assert.InRange(failure.Timeout, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
        Assert.Equal(VirtioDeviceStatus.DeviceNeedsReset, state.Status); // not 0: the reset did not complete
        Assert.Equal(1, configChanges); // the driver is told to look

        BringUp(state); // the driver tries again: DRIVER_OK is refused, the device stays down
        Assert.False(state.IsActivated);
        Assert.True(state.Status.HasFlag(VirtioDeviceStatus.DeviceNeedsReset));

        // The stuck request finishes (its buffer and used entry are written: the guest gave them), then the thread
        // exits without taking the next request the guest queued meanwhile.
        ushort used = _queue.UsedIdx;
        _queue.AddChain(ChainBuffer.Out(16));
        device.Notify(0);
        _source.Release();
        Assert.True(FakeVirtioInterrupt.WaitFor(() => _queue.UsedIdx == (ushort)(used + 1)), "the request in flight did not finish");
        Thread.Sleep(200);
        Assert.Equal(1, _source.Fills);
        Assert.Equal((ushort)(used + 1), _queue.UsedIdx);

        state.WriteStatus(0); // a later reset returns at once and still reports the broken device
        Assert.Equal(VirtioDeviceStatus.DeviceNeedsReset, state.Status);
    }

    private void BringUp(VirtioTransportState state)
    {
        state.WriteStatus(Acknowledge | Driver);
        state.DriverFeaturesPage = 1;
        state.WriteDriverFeaturesWord((uint)(VirtioFeatures.Version1 >> 32));
        state.WriteStatus(Acknowledge | Driver | FeaturesOk);
        state.QueueSelect = 0;
        state.WriteQueueSize(_queue.Size);
        state.WriteQueueAddress(VirtQueueArea.DescriptorTable, _queue.Config.DescriptorTable.Value);
        state.WriteQueueAddress(VirtQueueArea.DriverArea, _queue.Config.DriverArea.Value);
        state.WriteQueueAddress(VirtQueueArea.DeviceArea, _queue.Config.DeviceArea.Value);
        state.WriteQueueReady(1);
        state.WriteStatus(Acknowledge | Driver | FeaturesOk | DriverOk);
    }
}
