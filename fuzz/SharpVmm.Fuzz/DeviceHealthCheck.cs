using SharpVmm.Devices;
using SharpVmm.Devices.Virtio;

namespace SharpVmm.Fuzz;

/// <summary>
/// What a transport target checks besides exceptions: a device thread that died (<see cref="IDeviceHealth.Failure"/>:
/// the worker records even an out-of-memory there instead of ending the process) and an activation that threw.
/// </summary>
public static class DeviceHealthCheck
{
    /// <summary>Throws a <see cref="FuzzFindingException"/> if the device or the transport recorded a failure.</summary>
    public static void Require(IVirtioTransport transport)
    {
        ArgumentNullException.ThrowIfNull(transport);
        if (transport.Device is IDeviceHealth { Failure: { } failure })
        {
            throw new FuzzFindingException($"the {transport.Device.DeviceType} device's thread failed: {failure.GetType().Name}", failure);
        }

        // An activation that fails is reported to the guest (DEVICE_NEEDS_RESET); what a device may throw there is its
        // host side failing (an image it cannot use). Anything else is a bug the transport only hides.
        if (transport.ActivationFailure is { } activation and not IOException)
        {
            throw new FuzzFindingException($"activating the {transport.Device.DeviceType} device threw {activation.GetType().Name}", activation);
        }
    }

    /// <summary>How many times the device's thread went to sleep with nothing to do, all queues together.</summary>
    public static long IdleCount(IVirtioDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        long total = 0;
        if (device is IVirtioNotificationSource source)
        {
            for (int q = 0; q < device.QueueMaxSizes.Count; q++)
            {
                total += source.IdleWaits(q);
            }
        }

        return total;
    }

    /// <summary>
    /// Waits, at most <paramref name="limit"/>, until the device's thread went idle again after a kick made when its idle
    /// count was <paramref name="idleBeforeKick"/>, so that what the guest queued is served before the input goes on.
    /// </summary>
    public static void Settle(IVirtioDevice device, long idleBeforeKick, TimeSpan limit)
    {
        long deadline = Environment.TickCount64 + (long)limit.TotalMilliseconds;
        while (IdleCount(device) == idleBeforeKick && Environment.TickCount64 < deadline)
        {
            Thread.Yield();
        }
    }
}
