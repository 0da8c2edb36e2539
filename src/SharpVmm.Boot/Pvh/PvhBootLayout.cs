using SharpVmm.Memory;

namespace SharpVmm.Boot.Pvh;

/// <summary>Where <see cref="PvhLoader"/> puts the boot structures in guest memory.</summary>
/// <param name="StartInfo">struct hvm_start_info; its address goes in EBX at the entry.</param>
/// <param name="ModuleList">The hvm_modlist_entry array (one entry: the initrd).</param>
/// <param name="MemoryMap">The hvm_memmap_table_entry array.</param>
/// <param name="CommandLine">The NUL-terminated kernel command line.</param>
/// <param name="MaxCommandLineLength">Longest command line accepted, in bytes, NUL not counted.</param>
/// <param name="MaxMemoryMapEntries">Most memory-map entries the layout has room for.</param>
public sealed record PvhBootLayout(
    GuestAddress StartInfo, GuestAddress ModuleList, GuestAddress MemoryMap, GuestAddress CommandLine,
    int MaxCommandLineLength, int MaxMemoryMapEntries)
{
    /// <summary>
    /// start_info at 0x6000, module list at 0x6040, memory map at 0x7000 (128 entries, to 0x7c00), command line at
    /// 0x20000 (2047 bytes: Linux's x86 COMMAND_LINE_SIZE less the NUL).
    /// </summary>
    public static PvhBootLayout Default => new(
        new GuestAddress(0x6000), new GuestAddress(0x6040), new GuestAddress(0x7000), new GuestAddress(0x2_0000), 2047, 128);

    /// <summary>rsdp_paddr to hand to the kernel, if the VM layer built ACPI tables; <c>null</c> for none.</summary>
    public GuestAddress? AcpiRsdp { get; init; }
}
