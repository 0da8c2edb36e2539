namespace SharpVmm.Devices.Virtio;

/// <summary>
/// A virtio device model (virtio 1.2, section 5), independent of the transport (virtio-pci or virtio-mmio) that
/// carries it. The transport negotiates features, holds the queue registers and the status byte, and calls in here.
/// </summary>
/// <remarks>
/// Threading: <see cref="Notify"/>, <see cref="ReadConfig"/> and <see cref="WriteConfig"/> come from vCPU threads (or
/// the ioeventfd poller) and must not block on I/O; a device does its work on its own thread. A device that implements
/// <see cref="IVirtioNotificationSource"/> may instead have its thread woken by KVM directly, without <see cref="Notify"/>. <see cref="Activate"/>
/// and <see cref="Reset"/> are called by the transport under its lock, never concurrently with each other.
/// </remarks>
public interface IVirtioDevice : IDisposable
{
    /// <summary>The virtio device ID.</summary>
    VirtioDeviceType DeviceType { get; }

    /// <summary>The feature bits the device offers, including <see cref="VirtioFeatures.Common"/>.</summary>
    ulong DeviceFeatures { get; }

    /// <summary>Maximum size of each queue (a power of two, at most 32768); the count is the number of queues.</summary>
    IReadOnlyList<ushort> QueueMaxSizes { get; }

    /// <summary>Size in bytes of the device-specific configuration space.</summary>
    int ConfigSize { get; }

    /// <summary>Reads the device-specific configuration at <paramref name="offset"/> (out-of-range bytes read as 0).</summary>
    void ReadConfig(uint offset, Span<byte> data);

    /// <summary>Writes the device-specific configuration (read-only or out-of-range bytes are ignored).</summary>
    void WriteConfig(uint offset, ReadOnlySpan<byte> data);

    /// <summary>The driver set DRIVER_OK: start using the queues. Called once per reset cycle.</summary>
    void Activate(VirtioActivation activation);

    /// <summary>An available buffer notification for queue <paramref name="queueIndex"/> (2.3.3). Does not block.</summary>
    void Notify(int queueIndex);

    /// <summary>The driver wrote 0 to the status: stop, and return only when the device no longer touches guest memory.</summary>
    void Reset();
}
