using System.Buffers.Binary;

namespace SharpVmm.Boot.Pvh;

/// <summary>struct hvm_modlist_entry: one module (an initrd) handed to a PVH kernel.</summary>
/// <param name="Address">paddr: where the module is.</param>
/// <param name="Size">size in bytes.</param>
/// <param name="CommandLineAddress">cmdline_paddr of the module's own command line, 0 for none.</param>
public readonly record struct HvmModuleListEntry(ulong Address, ulong Size, ulong CommandLineAddress)
{
    /// <summary>Bytes per entry: paddr @0, size @8, cmdline_paddr @0x10, reserved @0x18.</summary>
    public const int EncodedSize = 32;

    /// <summary>Writes the entry into <paramref name="destination"/> (at least 32 bytes).</summary>
    public void Encode(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination, Address);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], Size);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[16..], CommandLineAddress);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[24..], 0);
    }
}
