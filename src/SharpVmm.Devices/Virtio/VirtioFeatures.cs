namespace SharpVmm.Devices.Virtio;

/// <summary>Device-independent feature bits (virtio 1.2, section 6 "Reserved Feature Bits").</summary>
public static class VirtioFeatures
{
    /// <summary>VIRTIO_F_INDIRECT_DESC (bit 28): the driver may use indirect descriptor tables (2.7.5.3).</summary>
    public const ulong RingIndirectDescriptors = 1UL << 28;

    /// <summary>VIRTIO_F_EVENT_IDX (bit 29): used_event/avail_event suppress notifications (2.7.7, 2.7.10).</summary>
    public const ulong RingEventIndex = 1UL << 29;

    /// <summary>VIRTIO_F_VERSION_1 (bit 32): a virtio 1.x device; every device here offers it and needs it.</summary>
    public const ulong Version1 = 1UL << 32;

    /// <summary>The bits a driver must accept for a device here to take FEATURES_OK: VERSION_1 (no legacy drivers).</summary>
    public const ulong Required = Version1;

    /// <summary>The bits every SharpVmm device offers on top of its own.</summary>
    public const ulong Common = Version1 | RingIndirectDescriptors | RingEventIndex;
}
