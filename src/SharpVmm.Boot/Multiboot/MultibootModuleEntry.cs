using System.Buffers.Binary;

namespace SharpVmm.Boot.Multiboot;

/// <summary>One entry of the module list that mods_addr points at (Multiboot 0.6.96 section 3.3).</summary>
/// <param name="Start">mod_start: the module's first byte.</param>
/// <param name="End">mod_end: the first byte after the module.</param>
/// <param name="StringAddress">string: the module's zero-terminated string.</param>
public readonly record struct MultibootModuleEntry(uint Start, uint End, uint StringAddress)
{
    /// <summary>Bytes per entry: mod_start @0, mod_end @4, string @8, reserved (0) @12.</summary>
    public const int EncodedSize = 16;

    /// <summary>Writes the entry into <paramref name="destination"/> (at least 16 bytes).</summary>
    public void Encode(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Start);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], End);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], StringAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], 0);
    }
}
