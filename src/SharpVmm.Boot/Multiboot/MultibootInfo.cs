using System.Buffers.Binary;
using SharpVmm.Memory;

namespace SharpVmm.Boot.Multiboot;

/// <summary>
/// Writes the Multiboot information structure (Multiboot 0.6.96 section 3.3) that a Multiboot kernel finds through EBX.
/// A field is valid only when its bit is set in <see cref="Flags"/>; the others are written as zero.
/// </summary>
public sealed record MultibootInfo
{
    /// <summary>flags bit 0: mem_lower and mem_upper are valid.</summary>
    public const uint FlagMemory = 1u << 0;

    /// <summary>flags bit 2: cmdline is valid.</summary>
    public const uint FlagCommandLine = 1u << 2;

    /// <summary>flags bit 3: mods_count and mods_addr are valid.</summary>
    public const uint FlagModules = 1u << 3;

    /// <summary>flags bit 6: mmap_length and mmap_addr are valid.</summary>
    public const uint FlagMemoryMap = 1u << 6;

    /// <summary>flags bit 9: boot_loader_name is valid.</summary>
    public const uint FlagBootLoaderName = 1u << 9;

    /// <summary>Bytes of the structure up to the end of the framebuffer fields (color_info ends at offset 116).</summary>
    public const int Size = 116;

    /// <summary>Offset of flags.</summary>
    public const int FlagsOffset = 0;

    /// <summary>Offset of mem_lower (KiB of RAM from address 0, at most 640).</summary>
    public const int MemLowerOffset = 4;

    /// <summary>Offset of mem_upper (KiB of RAM from 1 MiB to the first hole).</summary>
    public const int MemUpperOffset = 8;

    /// <summary>Offset of cmdline (the kernel command line's physical address).</summary>
    public const int CommandLineOffset = 16;

    /// <summary>Offset of mods_count.</summary>
    public const int ModulesCountOffset = 20;

    /// <summary>Offset of mods_addr (the first <see cref="MultibootModuleEntry"/>).</summary>
    public const int ModulesAddressOffset = 24;

    /// <summary>Offset of mmap_length (bytes of memory map).</summary>
    public const int MemoryMapLengthOffset = 44;

    /// <summary>Offset of mmap_addr (the first memory-map entry's size field).</summary>
    public const int MemoryMapAddressOffset = 48;

    /// <summary>Offset of boot_loader_name (a zero-terminated string's physical address).</summary>
    public const int BootLoaderNameOffset = 64;

    /// <summary>flags.</summary>
    public uint Flags { get; init; }

    /// <summary>mem_lower, in KiB.</summary>
    public uint MemLower { get; init; }

    /// <summary>mem_upper, in KiB.</summary>
    public uint MemUpper { get; init; }

    /// <summary>cmdline.</summary>
    public uint CommandLineAddress { get; init; }

    /// <summary>mods_count.</summary>
    public uint ModuleCount { get; init; }

    /// <summary>mods_addr.</summary>
    public uint ModuleListAddress { get; init; }

    /// <summary>mmap_length.</summary>
    public uint MemoryMapLength { get; init; }

    /// <summary>mmap_addr.</summary>
    public uint MemoryMapAddress { get; init; }

    /// <summary>boot_loader_name.</summary>
    public uint BootLoaderNameAddress { get; init; }

    /// <summary>Encodes the structure; fields SharpVmm does not provide (boot_device, syms, drives, config_table,
    /// apm_table, vbe_*, framebuffer_*) are zero.</summary>
    public byte[] ToBytes()
    {
        byte[] bytes = new byte[Size];
        Span<byte> s = bytes;
        BinaryPrimitives.WriteUInt32LittleEndian(s[FlagsOffset..], Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(s[MemLowerOffset..], MemLower);
        BinaryPrimitives.WriteUInt32LittleEndian(s[MemUpperOffset..], MemUpper);
        BinaryPrimitives.WriteUInt32LittleEndian(s[CommandLineOffset..], CommandLineAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(s[ModulesCountOffset..], ModuleCount);
        BinaryPrimitives.WriteUInt32LittleEndian(s[ModulesAddressOffset..], ModuleListAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(s[MemoryMapLengthOffset..], MemoryMapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(s[MemoryMapAddressOffset..], MemoryMapAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(s[BootLoaderNameOffset..], BootLoaderNameAddress);
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
