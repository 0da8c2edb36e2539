namespace SharpVmm.Devices.Virtio.Net;

/// <summary>virtio-net feature bits (virtio 1.2, 5.1.3).</summary>
public static class VirtioNetFeatures
{
    /// <summary>VIRTIO_NET_F_CSUM (0): the device handles packets with partial checksum (guest to host).</summary>
    public const ulong Csum = 1UL << 0;

    /// <summary>VIRTIO_NET_F_GUEST_CSUM (1): the driver handles packets with partial checksum.</summary>
    public const ulong GuestCsum = 1UL << 1;

    /// <summary>VIRTIO_NET_F_MAC (5): the device has a MAC address in its config.</summary>
    public const ulong Mac = 1UL << 5;

    /// <summary>VIRTIO_NET_F_GUEST_TSO4 (7): the driver can receive TSOv4.</summary>
    public const ulong GuestTso4 = 1UL << 7;

    /// <summary>VIRTIO_NET_F_GUEST_TSO6 (8): the driver can receive TSOv6.</summary>
    public const ulong GuestTso6 = 1UL << 8;

    /// <summary>VIRTIO_NET_F_HOST_TSO4 (11): the device can receive TSOv4 from the driver.</summary>
    public const ulong HostTso4 = 1UL << 11;

    /// <summary>VIRTIO_NET_F_HOST_TSO6 (12): the device can receive TSOv6 from the driver.</summary>
    public const ulong HostTso6 = 1UL << 12;

    /// <summary>VIRTIO_NET_F_MRG_RXBUF (15): the driver can merge receive buffers.</summary>
    public const ulong MrgRxbuf = 1UL << 15;

    /// <summary>VIRTIO_NET_F_STATUS (16): the config status field is valid.</summary>
    public const ulong Status = 1UL << 16;

    /// <summary>VIRTIO_NET_S_LINK_UP in the config status field (5.1.4).</summary>
    public const ushort StatusLinkUp = 1;
}
