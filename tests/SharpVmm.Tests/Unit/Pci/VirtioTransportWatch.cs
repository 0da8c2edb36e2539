using SharpVmm.Devices.Virtio;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Pci;

/// <summary>
/// Watches a virtio transport under fuzz through what its device and the driver see, and fails the test at the first
/// access that breaks one of the transport's promises (virtio 1.2, 2.1 and 3.1): the driver never sets
/// DEVICE_NEEDS_RESET; a reset leaves status 0; the device is activated at most once per reset, only with FEATURES_OK
/// and DRIVER_OK, with features it offers (VERSION_1 among them) and every enabled queue a power of two no larger than
/// its maximum; DRIVER_OK is never shown for a device that is not running; notifications reach only a running device,
/// for queues it has; and nothing the driver does raises an interrupt.
/// </summary>
internal sealed class VirtioTransportWatch(FakeVirtioDevice device, Func<byte> readStatus, Func<bool> interruptRaised)
{
    private const byte NeedsReset = (byte)VirtioDeviceStatus.DeviceNeedsReset;
    private const byte DriverOk = (byte)VirtioDeviceStatus.DriverOk, FeaturesOk = (byte)VirtioDeviceStatus.FeaturesOk;
    private int _activations, _resets, _notified;
    private bool _running;

    /// <summary>Activations seen so far.</summary>
    public int Activations => _activations;

    /// <summary>Checks the state after one access; <paramref name="access"/> names it in a failure.</summary>
    public void Check(string access)
    {
        byte status = readStatus();
        Assert.True((status & NeedsReset) == 0, $"after {access}: status 0x{status:x2} has DEVICE_NEEDS_RESET, which only the device may set");
        if (device.Resets != _resets)
        {
            Assert.True(device.Resets == _resets + 1 && status == 0, $"after {access}: {device.Resets - _resets} device resets, status 0x{status:x2}");
            _resets = device.Resets;
            _running = false;
        }

        if (device.Activations.Count != _activations)
        {
            Assert.True(device.Activations.Count == _activations + 1 && !_running,
                $"after {access}: activated {device.Activations.Count - _activations} times, running already: {_running}");
            CheckActivation(device.Activations[^1], status, access);
            _activations++;
            _running = true;
        }

        Assert.True((status & DriverOk) == 0 || _running, $"after {access}: status 0x{status:x2} says DRIVER_OK, but the device was never activated");
        for (; _notified < device.Notified.Count; _notified++)
        {
            int queue = device.Notified[_notified];
            Assert.True(_running && queue >= 0 && queue < device.QueueMaxSizes.Count,
                $"after {access}: queue {queue} notified, device running: {_running}");
        }

        Assert.False(interruptRaised(), $"after {access}: an interrupt was raised, but the device never asked for one");
    }

    private void CheckActivation(VirtioActivation activation, byte status, string access)
    {
        Assert.True((status & (FeaturesOk | DriverOk)) == (FeaturesOk | DriverOk), $"after {access}: activated with status 0x{status:x2}");
        Assert.True((activation.Features & ~device.DeviceFeatures) == 0 && (activation.Features & VirtioFeatures.Version1) != 0,
            $"after {access}: activated with features 0x{activation.Features:x} (offered 0x{device.DeviceFeatures:x})");
        Assert.Equal(device.QueueMaxSizes.Count, activation.Queues.Count);
        for (int q = 0; q < activation.Queues.Count; q++)
        {
            VirtQueueConfig queue = activation.Queues[q];
            Assert.True(!queue.Ready || (ushort.IsPow2(queue.Size) && queue.Size <= device.QueueMaxSizes[q]),
                $"after {access}: queue {q} enabled with size {queue.Size} (max {device.QueueMaxSizes[q]})");
        }
    }
}
