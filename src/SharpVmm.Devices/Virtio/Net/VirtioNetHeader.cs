namespace SharpVmm.Devices.Virtio.Net;

/// <summary>
/// Layout and constants of <c>struct virtio_net_hdr_v1</c> (virtio 1.2, 5.1.6), the 12 bytes in front of every frame:
/// flags (u8), gso_type (u8), hdr_len, gso_size, csum_start, csum_offset, num_buffers (le16 each).
/// </summary>
public static class VirtioNetHeader
{
    /// <summary>Size of the header with VIRTIO_F_VERSION_1 (num_buffers always present).</summary>
    public const int Size = 12;

    /// <summary>Offset of flags.</summary>
    public const int FlagsOffset = 0;

    /// <summary>Offset of gso_type.</summary>
    public const int GsoTypeOffset = 1;

    /// <summary>Offset of num_buffers.</summary>
    public const int NumBuffersOffset = 10;

    /// <summary>VIRTIO_NET_HDR_F_NEEDS_CSUM: csum_start/csum_offset say where the checksum goes.</summary>
    public const byte FlagNeedsCsum = 1;

    /// <summary>VIRTIO_NET_HDR_F_DATA_VALID: the checksum was already validated (receive only).</summary>
    public const byte FlagDataValid = 2;

    /// <summary>VIRTIO_NET_HDR_GSO_NONE.</summary>
    public const byte GsoNone = 0;

    /// <summary>VIRTIO_NET_HDR_GSO_TCPV4.</summary>
    public const byte GsoTcpV4 = 1;

    /// <summary>VIRTIO_NET_HDR_GSO_UDP.</summary>
    public const byte GsoUdp = 3;

    /// <summary>VIRTIO_NET_HDR_GSO_TCPV6.</summary>
    public const byte GsoTcpV6 = 4;

    /// <summary>VIRTIO_NET_HDR_GSO_ECN (a flag on top of the type).</summary>
    public const byte GsoEcn = 0x80;
}
