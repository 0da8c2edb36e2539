using SharpVmm.Memory;

namespace SharpVmm.X86;

/// <summary>
/// Where the mode helpers put their structures in guest memory. The defaults sit below 64 KiB, clear of
/// the real-mode IVT (0x0-0x3FF) and of the classic load addresses 0x1000 and 0x10000.
/// </summary>
public sealed record CpuModeLayout
{
    /// <summary>The GDT (4 entries: null, code, data, TSS).</summary>
    public GuestAddress Gdt { get; init; } = new(0x500);

    /// <summary>The (empty) IDT: a guest that takes an exception before setting its own triple-faults, visibly.</summary>
    public GuestAddress Idt { get; init; } = new(0x540);

    /// <summary>Six pages of page tables for long mode: PML4, PDPT and four page directories.</summary>
    public GuestAddress PageTables { get; init; } = new(0x9000);

    /// <summary>Bytes of page tables <see cref="PageTables"/> needs.</summary>
    public const int PageTableBytes = 6 * 4096;
}
