using System.Buffers.Binary;
using SharpVmm.Boot.MemoryMap;
using SharpVmm.Memory;

namespace SharpVmm.Boot.Linux;

/// <summary>
/// Builds the Linux "zero page" (struct boot_params, 4096 bytes; arch/x86/include/uapi/asm/bootparam.h and
/// Documentation/arch/x86/zero-page.rst): the kernel's setup header copied from the image, plus what the boot loader fills in.
/// </summary>
public sealed class BootParams
{
    /// <summary>Size of struct boot_params.</summary>
    public const int Size = 4096;

    /// <summary>Offset of acpi_rsdp_addr (u64).</summary>
    public const int AcpiRsdpAddressOffset = 0x070;

    /// <summary>Offset of ext_ramdisk_image (u32, bits 32..63 of ramdisk_image).</summary>
    public const int ExtRamdiskImageOffset = 0x0C0;

    /// <summary>Offset of ext_ramdisk_size (u32).</summary>
    public const int ExtRamdiskSizeOffset = 0x0C4;

    /// <summary>Offset of ext_cmd_line_ptr (u32).</summary>
    public const int ExtCommandLinePointerOffset = 0x0C8;

    /// <summary>Offset of e820_entries (u8).</summary>
    public const int E820EntriesOffset = 0x1E8;

    /// <summary>Offset of the e820_table array.</summary>
    public const int E820TableOffset = 0x2D0;

    /// <summary>Entries e820_table holds (E820_MAX_ENTRIES_ZEROPAGE).</summary>
    public const int MaxE820Entries = 128;

    /// <summary>Offset of vid_mode (u16) in the setup header.</summary>
    public const int VideoModeOffset = 0x1FA;

    /// <summary>Offset of type_of_loader (u8).</summary>
    public const int TypeOfLoaderOffset = 0x210;

    /// <summary>Offset of loadflags (u8).</summary>
    public const int LoadFlagsOffset = 0x211;

    /// <summary>Offset of ramdisk_image (u32).</summary>
    public const int RamdiskImageOffset = 0x218;

    /// <summary>Offset of ramdisk_size (u32).</summary>
    public const int RamdiskSizeOffset = 0x21C;

    /// <summary>Offset of heap_end_ptr (u16).</summary>
    public const int HeapEndPointerOffset = 0x224;

    /// <summary>Offset of cmd_line_ptr (u32).</summary>
    public const int CommandLinePointerOffset = 0x228;

    /// <summary>type_of_loader value for a boot loader without an assigned ID.</summary>
    public const byte UndefinedLoader = 0xFF;

    /// <summary>vid_mode value that asks for the "normal" text mode.</summary>
    public const ushort NormalVideoMode = 0xFFFF;

    // The setup header ends where edd_mbr_sig_buffer starts; a longer header (future protocol) is cut there.
    private const int SetupHeaderLimit = 0x290;

    private readonly byte[] _page = new byte[Size];

    /// <summary>
    /// Starts a zero page from <paramref name="header"/>: the header bytes at 0x1f1, type_of_loader 0xff,
    /// vid_mode "normal", and LOADED_HIGH kept in loadflags.
    /// </summary>
    public BootParams(LinuxSetupHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        ReadOnlySpan<byte> raw = header.RawBytes;
        raw[..Math.Min(raw.Length, SetupHeaderLimit - LinuxSetupHeader.Offset)].CopyTo(_page.AsSpan(LinuxSetupHeader.Offset));
        _page[TypeOfLoaderOffset] = UndefinedLoader;
        BinaryPrimitives.WriteUInt16LittleEndian(_page.AsSpan(VideoModeOffset), NormalVideoMode);
    }

    /// <summary>The page as it will be written.</summary>
    public ReadOnlySpan<byte> Bytes => _page;

    /// <summary>Sets heap_end_ptr and CAN_USE_HEAP.</summary>
    public void SetHeapEnd(ushort heapEndPointer)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_page.AsSpan(HeapEndPointerOffset), heapEndPointer);
        _page[LoadFlagsOffset] |= (byte)LinuxLoadFlags.CanUseHeap;
    }

    /// <summary>Sets cmd_line_ptr and ext_cmd_line_ptr to the command line's guest-physical address.</summary>
    public void SetCommandLine(GuestAddress address)
    {
        WriteSplit(CommandLinePointerOffset, ExtCommandLinePointerOffset, address.Value);
    }

    /// <summary>Sets ramdisk_image/size and their ext_ high halves.</summary>
    public void SetRamdisk(GuestAddress address, ulong size)
    {
        WriteSplit(RamdiskImageOffset, ExtRamdiskImageOffset, address.Value);
        WriteSplit(RamdiskSizeOffset, ExtRamdiskSizeOffset, size);
    }

    /// <summary>Sets acpi_rsdp_addr (0 means "search for it").</summary>
    public void SetAcpiRsdpAddress(GuestAddress address) =>
        BinaryPrimitives.WriteUInt64LittleEndian(_page.AsSpan(AcpiRsdpAddressOffset), address.Value);

    /// <summary>Fills e820_table and e820_entries.</summary>
    /// <exception cref="ArgumentException">More than 128 entries, or an empty or wrapping entry.</exception>
    public void SetE820Map(IReadOnlyList<E820Entry> map)
    {
        E820Map.Validate(map, MaxE820Entries);
        _page.AsSpan(E820TableOffset, MaxE820Entries * E820Entry.EncodedSize).Clear();
        for (int i = 0; i < map.Count; i++)
        {
            map[i].WriteTo(_page.AsSpan(E820TableOffset + (i * E820Entry.EncodedSize), E820Entry.EncodedSize));
        }

        _page[E820EntriesOffset] = (byte)map.Count;
    }

    /// <summary>Copies the page into guest memory at <paramref name="address"/>.</summary>
    /// <exception cref="GuestMemoryException">The page does not fit there.</exception>
    public void WriteTo(GuestMemory memory, GuestAddress address)
    {
        ArgumentNullException.ThrowIfNull(memory);
        memory.Write(address, _page);
    }

    private void WriteSplit(int lowOffset, int highOffset, ulong value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_page.AsSpan(lowOffset), (uint)value);
        BinaryPrimitives.WriteUInt32LittleEndian(_page.AsSpan(highOffset), (uint)(value >> 32));
    }
}
