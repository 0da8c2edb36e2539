using System.Buffers.Binary;
using SharpVmm.Memory;

namespace SharpVmm.Boot.Pvh;

/// <summary>
/// Writes struct hvm_start_info, version 1 (Xen public/arch-x86/hvm/start_info.h), the structure a PVH kernel finds
/// through EBX. Zero in an address field means "not present".
/// </summary>
public sealed record HvmStartInfo
{
    /// <summary>XEN_HVM_START_MAGIC_VALUE ("xEn3" with the 0x80 bit of the "E" set).</summary>
    public const uint Magic = 0x336E_C578;

    /// <summary>Structure version written (1 adds the memory map).</summary>
    public const uint Version = 1;

    /// <summary>Bytes of the version-1 structure.</summary>
    public const int Size = 0x38;

    /// <summary>SIF_xxx flags.</summary>
    public uint Flags { get; init; }

    /// <summary>nr_modules.</summary>
    public uint ModuleCount { get; init; }

    /// <summary>modlist_paddr: an array of <see cref="HvmModuleListEntry"/>.</summary>
    public ulong ModuleListAddress { get; init; }

    /// <summary>cmdline_paddr: a NUL-terminated command line.</summary>
    public ulong CommandLineAddress { get; init; }

    /// <summary>rsdp_paddr: the ACPI RSDP.</summary>
    public ulong RsdpAddress { get; init; }

    /// <summary>memmap_paddr: an array of hvm_memmap_table_entry.</summary>
    public ulong MemoryMapAddress { get; init; }

    /// <summary>memmap_entries.</summary>
    public uint MemoryMapEntries { get; init; }

    /// <summary>Encodes the structure: magic @0, version @4, flags @8, nr_modules @0xc, modlist_paddr @0x10,
    /// cmdline_paddr @0x18, rsdp_paddr @0x20, memmap_paddr @0x28, memmap_entries @0x30, reserved @0x34.</summary>
    public byte[] ToBytes()
    {
        byte[] bytes = new byte[Size];
        Span<byte> s = bytes;
        BinaryPrimitives.WriteUInt32LittleEndian(s, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x04..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x08..], Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x0C..], ModuleCount);
        BinaryPrimitives.WriteUInt64LittleEndian(s[0x10..], ModuleListAddress);
        BinaryPrimitives.WriteUInt64LittleEndian(s[0x18..], CommandLineAddress);
        BinaryPrimitives.WriteUInt64LittleEndian(s[0x20..], RsdpAddress);
        BinaryPrimitives.WriteUInt64LittleEndian(s[0x28..], MemoryMapAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x30..], MemoryMapEntries);
        return bytes;
    }

    /// <summary>Writes the structure at <paramref name="address"/>.</summary>
    /// <exception cref="GuestMemoryException">It does not fit there.</exception>
    public void WriteTo(GuestMemory memory, GuestAddress address)
    {
        ArgumentNullException.ThrowIfNull(memory);
        memory.Write(address, ToBytes());
    }
}
