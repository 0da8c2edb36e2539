namespace SharpVmm.Devices.Virtio;

/// <summary>
/// What every virtio transport (virtio-mmio, virtio-pci) shows of the device it carries, read from its
/// <see cref="VirtioTransportState"/>: the same state machine behind either register layout. It is also the device's
/// <see cref="IVirtioInterrupt"/>.
/// </summary>
public interface IVirtioTransport : IVirtioInterrupt
{
    /// <summary>The device model the transport carries.</summary>
    IVirtioDevice Device { get; }

    /// <summary>The queue registers as the driver programmed them, one per <see cref="IVirtioDevice.QueueMaxSizes"/> entry.</summary>
    IReadOnlyList<VirtQueueConfig> Queues { get; }

    /// <summary>The device status byte (2.1) as the driver reads it.</summary>
    VirtioDeviceStatus Status { get; }

    /// <summary>The features the driver accepted.</summary>
    ulong DriverFeatures { get; }

    /// <summary>Whether DRIVER_OK activated the device since the last reset (recorded once its activation returned).</summary>
    bool IsActivated { get; }

    /// <summary>What the most recent failed activation threw (it set DEVICE_NEEDS_RESET); null if none failed.</summary>
    Exception? ActivationFailure { get; }

    /// <summary>Guest accesses the transport ignored or refused (wrong width or place, writes the driver may not make).</summary>
    long IgnoredAccesses { get; }
}
