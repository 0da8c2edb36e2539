using SharpVmm.Memory;

namespace SharpVmm.Devices.Virtio;

/// <summary>
/// One virtqueue's registers as the driver programs them through a transport (virtio 1.2, 4.1.4.3 common
/// configuration and 4.2.2 MMIO registers): size, the three ring addresses, and whether it is enabled. The transport
/// owns and writes it; the device reads it when it is activated.
/// </summary>
public sealed class VirtQueueConfig
{
    /// <summary>Creates a queue whose size starts at (and may not exceed) <paramref name="maxSize"/>.</summary>
    public VirtQueueConfig(ushort maxSize)
    {
        MaxSize = maxSize;
        Size = maxSize;
    }

    /// <summary>The largest size the device supports (a power of two).</summary>
    public ushort MaxSize { get; }

    /// <summary>The size the driver chose (queue_size).</summary>
    public ushort Size { get; set; }

    /// <summary>Whether the driver enabled the queue (queue_enable / QueueReady).</summary>
    public bool Ready { get; set; }

    /// <summary>Guest-physical address of the descriptor table (queue_desc).</summary>
    public GuestAddress DescriptorTable { get; set; }

    /// <summary>Guest-physical address of the driver area, the available ring (queue_driver).</summary>
    public GuestAddress DriverArea { get; set; }

    /// <summary>Guest-physical address of the device area, the used ring (queue_device).</summary>
    public GuestAddress DeviceArea { get; set; }

    /// <summary>The MSI-X vector the driver assigned (virtio-pci only; 0xFFFF = none).</summary>
    public ushort MsixVector { get; set; } = NoVector;

    /// <summary>VIRTIO_MSI_NO_VECTOR.</summary>
    public const ushort NoVector = 0xFFFF;

    /// <summary>Back to the power-on values (on device reset).</summary>
    public void Reset()
    {
        Size = MaxSize;
        Ready = false;
        DescriptorTable = default;
        DriverArea = default;
        DeviceArea = default;
        MsixVector = NoVector;
    }
}
