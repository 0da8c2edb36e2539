namespace SharpVmm.Devices.Virtio;

/// <summary>The three parts of a split virtqueue whose guest-physical addresses the driver programs (virtio 1.2, 2.7).</summary>
public enum VirtQueueArea
{
    /// <summary>The descriptor table (queue_desc, QueueDescLow/High).</summary>
    DescriptorTable,

    /// <summary>The driver area, the available ring (queue_driver, QueueDriverLow/High).</summary>
    DriverArea,

    /// <summary>The device area, the used ring (queue_device, QueueDeviceLow/High).</summary>
    DeviceArea,
}
