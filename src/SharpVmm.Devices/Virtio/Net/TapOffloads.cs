namespace SharpVmm.Devices.Virtio.Net;

/// <summary>TUNSETOFFLOAD bits (<c>&lt;linux/if_tun.h&gt;</c> TUN_F_*): what the guest can take on receive.</summary>
[Flags]
public enum TapOffloads : uint
{
    /// <summary>No offload: the host sends complete, checksummed, MTU-sized frames.</summary>
    None = 0,

    /// <summary>TUN_F_CSUM: the guest accepts partial checksums (VIRTIO_NET_F_GUEST_CSUM).</summary>
    Csum = 0x01,

    /// <summary>TUN_F_TSO4: the guest accepts TCPv4 large segments (VIRTIO_NET_F_GUEST_TSO4).</summary>
    Tso4 = 0x02,

    /// <summary>TUN_F_TSO6: the guest accepts TCPv6 large segments (VIRTIO_NET_F_GUEST_TSO6).</summary>
    Tso6 = 0x04,

    /// <summary>TUN_F_TSO_ECN: large segments may carry ECN (VIRTIO_NET_F_GUEST_ECN).</summary>
    TsoEcn = 0x08,
}
