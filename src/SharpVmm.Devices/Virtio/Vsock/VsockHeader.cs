using System.Buffers.Binary;

namespace SharpVmm.Devices.Virtio.Vsock;

/// <summary>
/// The 44-byte <c>struct virtio_vsock_hdr</c> in front of every packet on the rx and tx queues (virtio 1.2, 5.10.6), all
/// fields little-endian: src_cid le64, dst_cid le64, src_port le32, dst_port le32, len le32, type le16, op le16,
/// flags le32, buf_alloc le32, fwd_cnt le32.
/// </summary>
public readonly record struct VsockHeader
{
    /// <summary>Size of the header on the wire.</summary>
    public const int Size = 44;

    /// <summary>VIRTIO_VSOCK_TYPE_STREAM, the only socket type this device supports.</summary>
    public const ushort TypeStream = 1;

    /// <summary>The sender's context ID.</summary>
    public ulong SourceCid { get; init; }

    /// <summary>The receiver's context ID.</summary>
    public ulong DestinationCid { get; init; }

    /// <summary>The sender's port.</summary>
    public uint SourcePort { get; init; }

    /// <summary>The receiver's port.</summary>
    public uint DestinationPort { get; init; }

    /// <summary>Payload bytes that follow the header.</summary>
    public uint Length { get; init; }

    /// <summary>The socket type (<see cref="TypeStream"/>).</summary>
    public ushort Type { get; init; }

    /// <summary>The operation (a <see cref="VsockOp"/>; any other value is kept as read).</summary>
    public ushort Op { get; init; }

    /// <summary>Operation flags (<see cref="VsockShutdownFlags"/> for SHUTDOWN).</summary>
    public uint Flags { get; init; }

    /// <summary>The sender's receive buffer size for this connection.</summary>
    public uint BufferAllocation { get; init; }

    /// <summary>Bytes the sender has taken out of its receive buffer so far (wraps at 2^32).</summary>
    public uint ForwardCount { get; init; }

    /// <summary>The operation as an enum value (unknown values pass through unchanged).</summary>
    public VsockOp Operation => (VsockOp)Op;

    /// <summary>Reads a header from the first <see cref="Size"/> bytes of <paramref name="source"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="source"/> is shorter than <see cref="Size"/>.</exception>
    public static VsockHeader Decode(ReadOnlySpan<byte> source)
    {
        if (source.Length < Size)
        {
            throw new ArgumentException($"a vsock header is {Size} bytes", nameof(source));
        }

        return new VsockHeader
        {
            SourceCid = BinaryPrimitives.ReadUInt64LittleEndian(source),
            DestinationCid = BinaryPrimitives.ReadUInt64LittleEndian(source[8..]),
            SourcePort = BinaryPrimitives.ReadUInt32LittleEndian(source[16..]),
            DestinationPort = BinaryPrimitives.ReadUInt32LittleEndian(source[20..]),
            Length = BinaryPrimitives.ReadUInt32LittleEndian(source[24..]),
            Type = BinaryPrimitives.ReadUInt16LittleEndian(source[28..]),
            Op = BinaryPrimitives.ReadUInt16LittleEndian(source[30..]),
            Flags = BinaryPrimitives.ReadUInt32LittleEndian(source[32..]),
            BufferAllocation = BinaryPrimitives.ReadUInt32LittleEndian(source[36..]),
            ForwardCount = BinaryPrimitives.ReadUInt32LittleEndian(source[40..]),
        };
    }

    /// <summary>Writes the header to the first <see cref="Size"/> bytes of <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="Size"/>.</exception>
    public void Encode(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"a vsock header is {Size} bytes", nameof(destination));
        }

        BinaryPrimitives.WriteUInt64LittleEndian(destination, SourceCid);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], DestinationCid);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[16..], SourcePort);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[20..], DestinationPort);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[24..], Length);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[28..], Type);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[30..], Op);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[32..], Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[36..], BufferAllocation);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[40..], ForwardCount);
    }
}
