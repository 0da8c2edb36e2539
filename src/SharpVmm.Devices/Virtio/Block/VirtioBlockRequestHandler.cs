using System.Buffers.Binary;

namespace SharpVmm.Devices.Virtio.Block;

/// <summary>
/// Carries out one virtio-blk request (virtio 1.2, 5.2.6): a 16-byte header (type, reserved, sector), data, and a
/// status byte in the last writable byte. A malformed request gets an error status, never an exception.
/// </summary>
internal sealed class VirtioBlockRequestHandler
{
    // Request types (5.2.6).
    private const uint TypeIn = 0, TypeOut = 1, TypeFlush = 4, TypeGetId = 8, TypeDiscard = 11, TypeWriteZeroes = 13;

    // Status values (5.2.6).
    private const byte StatusOk = 0, StatusIoErr = 1, StatusUnsupp = 2;

    // struct virtio_blk_discard_write_zeroes: le64 sector, le32 num_sectors, le32 flags (bit 0: unmap).
    private const int RangeSegmentSize = 16;
    private const uint RangeFlagUnmap = 1;

    private const int HeaderSize = 16;
    private const int MaxIoChunk = 1 << 20;

    private readonly RawDiskImage _image;
    private readonly ulong _capacity;
    private readonly byte[] _serial;
    private readonly VirtioBlockCounters _counters;

    public VirtioBlockRequestHandler(RawDiskImage image, ulong capacity, byte[] serial, VirtioBlockCounters counters)
    {
        _image = image;
        _capacity = capacity;
        _serial = serial;
        _counters = counters;
    }

    /// <summary>
    /// The data bytes <paramref name="chain"/> moves, as a rate limiter's bandwidth bucket counts them (Firecracker's
    /// rule): the data part of a READ or WRITE, 0 for every other request, and for one whose header is short.
    /// </summary>
    public static long DataBytes(DescriptorChain chain)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        if (chain.CreateReader().Read(header) < HeaderSize)
        {
            return 0;
        }

        return BinaryPrimitives.ReadUInt32LittleEndian(header) switch
        {
            TypeIn => Math.Max(0, (long)chain.WritableLength - 1),
            TypeOut => (long)chain.ReadableLength - HeaderSize,
            _ => 0,
        };
    }

    /// <summary>Handles <paramref name="chain"/>; returns the used length (bytes written, status included).</summary>
    public uint Handle(DescriptorChain chain)
    {
        _counters.Request();
        if (chain.WritableLength == 0)
        {
            _counters.Error("request without a writable status byte");
            return 0;
        }

        DescriptorChainReader reader = chain.CreateReader();
        DescriptorChainWriter writer = chain.CreateWriter();
        long dataRoom = writer.Remaining - 1; // the last writable byte is the status
        Span<byte> header = stackalloc byte[HeaderSize];
        byte status;
        if (reader.Read(header) < HeaderSize)
        {
            status = Fail("request header shorter than 16 bytes");
        }
        else
        {
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(header);
            ulong sector = BinaryPrimitives.ReadUInt64LittleEndian(header[8..]);
            try
            {
                status = type switch
                {
                    TypeIn => In(sector, writer, dataRoom),
                    TypeOut => Out(sector, reader),
                    TypeFlush => Flush(),
                    TypeGetId => GetId(writer, dataRoom),
                    TypeDiscard => Ranges(reader, discard: true),
                    TypeWriteZeroes => Ranges(reader, discard: false),
                    _ => Unsupported(type),
                };
            }
            catch (IOException e)
            {
                status = Fail($"host I/O error on {_image.Path}: {e.Message}");
            }
        }

        // Whatever the data phase wrote, the status goes in the last writable byte.
        if (writer.Remaining > 1)
        {
            writer.Advance(writer.Remaining - 1);
        }

        writer.Write([status]);
        return writer.BytesWritten;
    }

    private byte In(ulong sector, DescriptorChainWriter writer, long length)
    {
        if (!CheckTransfer(sector, length, out long offset, out byte status))
        {
            return status;
        }

        long done = 0;
        while (done < length)
        {
            Span<byte> span = writer.NextSpan((int)Math.Min(length - done, MaxIoChunk));
            _image.Read(offset + done, span);
            writer.Advance(span.Length);
            done += span.Length;
        }

        _counters.Read(length);
        return StatusOk;
    }

    private byte Out(ulong sector, DescriptorChainReader reader)
    {
        long length = reader.Remaining;
        if (!CheckTransfer(sector, length, out long offset, out byte status))
        {
            return status;
        }

        if (_image.ReadOnly)
        {
            return Fail("write to a read-only disk");
        }

        long done = 0;
        while (done < length)
        {
            ReadOnlySpan<byte> span = reader.NextSpan((int)Math.Min(length - done, MaxIoChunk));
            _image.Write(offset + done, span);
            reader.Advance(span.Length);
            done += span.Length;
        }

        _counters.Wrote(length);
        return StatusOk;
    }

    private byte Flush()
    {
        if (!_image.ReadOnly)
        {
            _image.Flush();
        }

        _counters.Flush();
        return StatusOk;
    }

    private byte GetId(DescriptorChainWriter writer, long room)
    {
        // 5.2.6: the serial is written up to the data buffer's length (at most 20 bytes).
        writer.Write(_serial.AsSpan(0, (int)Math.Min(room, _serial.Length)));
        return StatusOk;
    }

    private byte Ranges(DescriptorChainReader reader, bool discard)
    {
        long count = reader.Remaining / RangeSegmentSize;
        if (count == 0 || reader.Remaining % RangeSegmentSize != 0 || count > VirtioBlockDevice.MaxRangeSegments)
        {
            return Fail($"{(discard ? "DISCARD" : "WRITE_ZEROES")} with {reader.Remaining} bytes of segments");
        }

        if (_image.ReadOnly)
        {
            return Fail("discard or zeroing on a read-only disk");
        }

        Span<byte> segment = stackalloc byte[RangeSegmentSize];
        for (long i = 0; i < count; i++)
        {
            reader.Read(segment);
            ulong sector = BinaryPrimitives.ReadUInt64LittleEndian(segment);
            uint sectors = BinaryPrimitives.ReadUInt32LittleEndian(segment[8..]);
            uint flags = BinaryPrimitives.ReadUInt32LittleEndian(segment[12..]);
            if (sectors > VirtioBlockDevice.MaxRangeSectors || (flags & ~RangeFlagUnmap) != 0 ||
                (discard && flags != 0))
            {
                // 5.2.6.2: more than the limits, or unknown flags, is answered with UNSUPP.
                return Unsupported(discard ? TypeDiscard : TypeWriteZeroes); // over the limits
            }

            if (!CheckTransfer(sector, (long)sectors * VirtioBlockDevice.SectorSize, out long offset, out byte status))
            {
                return status;
            }

            long length = (long)sectors * VirtioBlockDevice.SectorSize;
            if (length == 0)
            {
                continue; // an empty range asks for nothing (fallocate would refuse a zero length)
            }

            if (discard)
            {
                _image.Discard(offset, length);
            }
            else
            {
                _image.WriteZeroes(offset, length, (flags & RangeFlagUnmap) != 0);
            }
        }

        return StatusOk;
    }

    private bool CheckTransfer(ulong sector, long length, out long offset, out byte status)
    {
        offset = 0;
        status = StatusOk;
        if (length % VirtioBlockDevice.SectorSize != 0)
        {
            status = Fail($"transfer of {length} bytes is not a multiple of 512");
            return false;
        }

        ulong sectors = (ulong)length / VirtioBlockDevice.SectorSize;
        if (sector > _capacity || sectors > _capacity - sector)
        {
            status = Fail($"sectors [{sector}, +{sectors}) beyond the disk's {_capacity}");
            return false;
        }

        offset = (long)(sector * VirtioBlockDevice.SectorSize);
        return true;
    }

    private byte Unsupported(uint type)
    {
        _counters.Unsupp();
        _counters.Note($"unsupported request type {type}");
        return StatusUnsupp;
    }

    private byte Fail(string what)
    {
        _counters.Error(what);
        return StatusIoErr;
    }
}
