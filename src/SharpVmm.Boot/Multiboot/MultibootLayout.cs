using SharpVmm.Memory;

namespace SharpVmm.Boot.Multiboot;

/// <summary>Where <see cref="MultibootLoader"/> puts the Multiboot information and what it points at.</summary>
/// <param name="Info">The information structure (<see cref="MultibootInfo.Size"/> bytes); its address goes in EBX.</param>
/// <param name="ModuleList">The <see cref="MultibootModuleEntry"/> array mods_addr points at.</param>
/// <param name="MaxModules">Most modules the module list has room for.</param>
/// <param name="MemoryMap">The memory-map buffer mmap_addr points at.</param>
/// <param name="MaxMemoryMapEntries">Most memory-map entries the buffer has room for.</param>
/// <param name="Strings">The string area: the command line, then the boot loader name, then each module's string, each NUL-terminated.</param>
/// <param name="StringsSize">Bytes of the string area.</param>
public sealed record MultibootLayout(
    GuestAddress Info, GuestAddress ModuleList, int MaxModules, GuestAddress MemoryMap, int MaxMemoryMapEntries,
    GuestAddress Strings, int StringsSize)
{
    /// <summary>
    /// Everything in the 64 KiB at [0x10000, 0x20000), usable RAM in the PC memory map and clear of what SharpVmm's
    /// platform code writes low (GDT/IDT at 0x500, PVH start_info and bzImage zero page at 0x6000-0x7FFF, long-mode
    /// page tables at 0x9000-0xEFFF, MP table at 0x9FC00, ACPI at 0xF0000): information structure at 0x10000, module
    /// list at 0x10100 (64 modules, to 0x10500), memory map at 0x10800 (128 entries, to 0x11400), strings at
    /// 0x12000-0x1FFFF (56 KiB). A kernel that loads into this range is refused with <see cref="BootImageError.Overlap"/>;
    /// Multiboot kernels normally load at 1 MiB or above.
    /// </summary>
    public static MultibootLayout Default => new(
        new GuestAddress(0x1_0000), new GuestAddress(0x1_0100), 64, new GuestAddress(0x1_0800), 128, new GuestAddress(0x1_2000), 0xE000);
}
