using System.Buffers.Binary;
using SharpVmm.Boot.MemoryMap;

namespace SharpVmm.Boot.Multiboot;

/// <summary>
/// Encodes the buffer mmap_addr points at (Multiboot 0.6.96 section 3.3): entries of size (u32, not counting itself),
/// base_addr (u64), length (u64) and type (u32; 1 = available RAM, 3 = ACPI, 4 = preserve on hibernation, 5 = defective,
/// anything else reserved: the e820 values).
/// </summary>
public static class MultibootMemoryMap
{
    /// <summary>The size field of every entry: 20 bytes follow it.</summary>
    public const uint EntrySizeField = 20;

    /// <summary>Bytes per entry, size field included: size @0, base_addr @4, length @12, type @20.</summary>
    public const int EntrySize = 24;

    /// <summary>Encodes <paramref name="map"/>; mmap_length is the returned array's length.</summary>
    public static byte[] Encode(IReadOnlyList<E820Entry> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        byte[] bytes = new byte[map.Count * EntrySize];
        for (int i = 0; i < map.Count; i++)
        {
            Span<byte> slot = bytes.AsSpan(i * EntrySize, EntrySize);
            BinaryPrimitives.WriteUInt32LittleEndian(slot, EntrySizeField);
            map[i].WriteTo(slot[4..]);
        }

        return bytes;
    }
}
