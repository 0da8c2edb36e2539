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
}
