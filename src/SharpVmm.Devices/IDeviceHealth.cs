namespace SharpVmm.Devices;

/// <summary>A device whose host-side work (a worker thread, a back-end) can fail on its own, leaving the guest's device dead.</summary>
public interface IDeviceHealth
{
    /// <summary>What stopped the device's host-side work; null while it is working.</summary>
    Exception? Failure { get; }
}
