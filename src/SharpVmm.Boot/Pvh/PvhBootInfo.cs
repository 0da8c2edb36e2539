using SharpVmm.Boot.Elf;
using SharpVmm.Boot.MemoryMap;
using SharpVmm.Memory;

namespace SharpVmm.Boot.Pvh;

/// <summary>
/// What <see cref="PvhLoader"/> placed, and how the VM layer must start the kernel: in 32-bit protected mode, paging
/// off, flat 4 GiB code/data segments, at <see cref="EntryPoint"/> with EBX = <see cref="StartInfo"/>
/// (Xen docs/misc/pvh.pandoc).
/// </summary>
/// <param name="EntryPoint">The 32-bit physical entry from XEN_ELFNOTE_PHYS32_ENTRY.</param>
/// <param name="StartInfo">Address of hvm_start_info (goes in EBX).</param>
/// <param name="KernelStart">Lowest physical address of the loaded segments.</param>
/// <param name="KernelEnd">First physical address above the loaded segments (bss included).</param>
/// <param name="CommandLine">Address of the command line.</param>
/// <param name="CommandLineSize">Bytes of command line written, NUL included.</param>
/// <param name="InitrdAddress">Where the initrd (module 0) was placed, or <c>null</c>.</param>
/// <param name="InitrdSize">Bytes of initrd (0 when there is none).</param>
/// <param name="MemoryMap">The memory map written for the kernel.</param>
/// <param name="Image">The parsed ELF image.</param>
public sealed record PvhBootInfo(
    GuestAddress EntryPoint,
    GuestAddress StartInfo,
    GuestAddress KernelStart,
    GuestAddress KernelEnd,
    GuestAddress CommandLine,
    int CommandLineSize,
    GuestAddress? InitrdAddress,
    ulong InitrdSize,
    IReadOnlyList<E820Entry> MemoryMap,
    ElfImage Image);
