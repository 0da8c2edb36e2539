using SharpVmm.Memory;

namespace SharpVmm.Platform;

/// <summary>
/// One loaded segment of an ELF kernel: where the kernel will see it once it turns paging on (p_vaddr) and where the
/// loader put it (p_paddr). A debugger uses it to place a breakpoint at a kernel address no page maps yet.
/// </summary>
public readonly record struct KernelSegment(ulong VirtualAddress, GuestAddress PhysicalAddress, ulong Size)
{
    /// <summary>The physical address of <paramref name="virtualAddress"/>, or null when it is outside this segment.</summary>
    public GuestAddress? Physical(ulong virtualAddress) =>
        virtualAddress >= VirtualAddress && virtualAddress - VirtualAddress < Size
            ? new GuestAddress(PhysicalAddress.Value + (virtualAddress - VirtualAddress))
            : null;
}
