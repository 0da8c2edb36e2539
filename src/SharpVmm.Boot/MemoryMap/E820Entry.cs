using System.Buffers.Binary;

namespace SharpVmm.Boot.MemoryMap;

/// <summary>One range of the guest-physical memory map, as struct boot_e820_entry stores it (addr, size, type: 20 bytes).</summary>
/// <param name="Address">Guest-physical start.</param>
/// <param name="Size">Length in bytes.</param>
/// <param name="Type">What the range is.</param>
public readonly record struct E820Entry(ulong Address, ulong Size, E820Type Type)
{
    /// <summary>Bytes one entry takes in struct boot_params' e820_table.</summary>
    public const int EncodedSize = 20;

    /// <summary>The first address after the range (saturates at 2^64 - 1 rather than wrapping).</summary>
    public ulong End => Address + Size < Address ? ulong.MaxValue : Address + Size;

    /// <summary>
    /// Writes the entry's <see cref="EncodedSize"/> bytes, little-endian: address @0, size @8, type @16. The zero page's
    /// e820_table, the PVH memmap (then 4 reserved bytes), Multiboot's mmap (after its size field) and QEMU's fw_cfg
    /// <c>etc/e820</c> all start their entries this way.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="EncodedSize"/>.</exception>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < EncodedSize)
        {
            throw new ArgumentException($"an e820 entry takes {EncodedSize} bytes, not {destination.Length}", nameof(destination));
        }

        BinaryPrimitives.WriteUInt64LittleEndian(destination, Address);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], Size);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[16..], (uint)Type);
    }
}
