namespace SharpVmm.Devices.Virtio;

/// <summary>One queue's registers as the driver programmed them (<see cref="VirtQueueConfig"/>) and, for a running
/// device, where the device stands in its ring; part of <see cref="VirtioTransportSavedState"/>.</summary>
public sealed record VirtQueueConfigState
{
    /// <summary>queue_size / QueueNum.</summary>
    public ushort Size { get; set; }

    /// <summary>queue_enable / QueueReady.</summary>
    public bool Ready { get; set; }

    /// <summary>Guest-physical address of the descriptor table.</summary>
    public ulong DescriptorTable { get; set; }

    /// <summary>Guest-physical address of the driver area (available ring).</summary>
    public ulong DriverArea { get; set; }

    /// <summary>Guest-physical address of the device area (used ring).</summary>
    public ulong DeviceArea { get; set; }

    /// <summary>queue_msix_vector (virtio-pci; <see cref="VirtQueueConfig.NoVector"/> for none).</summary>
    public ushort MsixVector { get; set; } = VirtQueueConfig.NoVector;

    /// <summary>The device's positions in the ring, when the device was running and served this queue; else null.</summary>
    public VirtQueueState? Ring { get; set; }
}
