using SharpVmm.Devices.Virtio;
using SharpVmm.Memory;
using SharpVmm.Tests.Support;

namespace SharpVmm.Tests.Unit.Virtio;

/// <summary>
/// Seeded random descriptors a hostile guest might write: mostly plausible, sometimes with addresses at the end of
/// guest memory or near 2^64, huge lengths, unknown flags, loops, indirect tables. Remembers every device-writable range
/// it wrote, so a test can check the device wrote nowhere else.
/// </summary>
internal sealed class HostileDescriptors(Random random, VirtQueueBuilder queue, ulong dataStart, ulong dataEnd)
{
    // The device-writable range of every descriptor written, by (table, index): what the guest lets the device write.
    private readonly Dictionary<(ulong Table, uint Index), (ulong Start, ulong End)> _writable = [];

    /// <summary>A buffer address for <paramref name="length"/> bytes: usually inside the data area, sometimes not.</summary>
    public ulong Address(uint length)
    {
        ulong memoryEnd = queue.Memory.Regions[0].Last.Value + 1;
        return random.Next(20) switch
        {
            0 => memoryEnd - (ulong)random.Next(0, 64),           // straddling the end of guest memory
            1 => ulong.MaxValue - (ulong)random.Next(0, 4096),    // about to wrap round 2^64
            2 => (ulong)random.NextInt64(),                       // anywhere
            3 => memoryEnd + (ulong)random.Next(0, 1 << 20),      // just past guest memory
            _ => ValidAddress(length),
        };
    }

    /// <summary>An address inside the data area with room for <paramref name="length"/> bytes (16-byte aligned).</summary>
    public ulong ValidAddress(uint length) =>
        dataStart + ((ulong)random.NextInt64((long)(dataEnd - dataStart - Math.Min(length, dataEnd - dataStart - 16))) & ~15UL);

    /// <summary>A buffer length: small, sector-sized, zero, or huge.</summary>
    public uint Length() => random.Next(12) switch
    {
        0 => 0,
        1 => uint.MaxValue - (uint)random.Next(0, 16),
        2 => (uint)random.NextInt64(0, uint.MaxValue),
        3 => (uint)random.Next(1, 64 * 1024),
        4 or 5 => 512u * (uint)random.Next(1, 9),
        _ => (uint)random.Next(1, 600),
    };

    /// <summary>Flags: usually NEXT/WRITE, sometimes INDIRECT or unknown bits.</summary>
    public ushort Flags() => random.Next(10) switch
    {
        0 => (ushort)random.Next(0, 0x10000),
        1 => VirtQueue.DescFlagIndirect,
        _ => (ushort)random.Next(0, 4),
    };

    /// <summary>Writes descriptor <paramref name="index"/> of <paramref name="table"/> and records it if writable.</summary>
    public void Write(GuestAddress table, uint index, ulong address, uint length, ushort flags, ushort next)
    {
        queue.WriteDescriptor(table, index, address, length, flags, next);
        if ((flags & VirtQueue.DescFlagWrite) != 0 && (flags & VirtQueue.DescFlagIndirect) == 0 && length != 0)
        {
            _writable[(table.Value, index)] = (address, length > ulong.MaxValue - address ? ulong.MaxValue : address + length);
        }
        else
        {
            _writable.Remove((table.Value, index));
        }
    }

    /// <summary>Fills <paramref name="count"/> descriptors of <paramref name="table"/> with random ones.</summary>
    public void FillTable(GuestAddress table, uint count, ushort nextBound)
    {
        for (uint i = 0; i < count; i++)
        {
            uint length = Length();
            ushort flags = Flags();
            if ((flags & VirtQueue.DescFlagIndirect) != 0 && random.Next(2) == 0)
            {
                length = 16u * (uint)random.Next(1, 40); // a plausible indirect table
            }

            ushort next = random.Next(8) == 0 ? (ushort)random.Next(0, 0x10000) : (ushort)random.Next(0, nextBound);
            Write(table, i, Address(length), length, flags, next);
        }
    }

    /// <summary>True when <paramref name="address"/> lies in the range of a device-writable descriptor now in a table.</summary>
    public bool MayWrite(ulong address)
    {
        foreach ((ulong start, ulong end) in _writable.Values)
        {
            if (address >= start && address < end)
            {
                return true;
            }
        }

        return false;
    }
}
