using SharpVmm.Boot.MemoryMap;
using SharpVmm.Memory;

namespace SharpVmm.Boot.Multiboot;

/// <summary>
/// What <see cref="MultibootLoader"/> placed, and how the VM layer must start the kernel (Multiboot 0.6.96 section 3.2):
/// 32-bit protected mode, paging off, flat 4 GiB code (read/execute) and data (read/write) segments, A20 on, interrupts
/// off (EFLAGS.IF = 0, VM = 0), EAX = <see cref="MultibootLoader.BootloaderMagic"/> (0x2BADB002), EBX =
/// <see cref="InfoAddress"/>, EIP = <see cref="EntryPoint"/>. ESP is undefined: the kernel sets up its own stack.
/// </summary>
/// <param name="EntryPoint">The 32-bit physical entry point (entry_addr, or e_entry translated to a physical address).</param>
/// <param name="InfoAddress">Address of the Multiboot information structure (goes in EBX).</param>
/// <param name="Header">The image's Multiboot header.</param>
/// <param name="KernelStart">Lowest physical address the kernel occupies.</param>
/// <param name="KernelEnd">First physical address above the kernel (bss included).</param>
/// <param name="CommandLine">Address of the kernel command line.</param>
/// <param name="Modules">Where each module went, in the order given: mod_start, mod_end and its string's address.</param>
/// <param name="MemoryMap">The memory map written for the kernel.</param>
/// <param name="MemLowerKiB">mem_lower written.</param>
/// <param name="MemUpperKiB">mem_upper written.</param>
public sealed record MultibootBootInfo(
    GuestAddress EntryPoint,
    GuestAddress InfoAddress,
    MultibootHeader Header,
    GuestAddress KernelStart,
    GuestAddress KernelEnd,
    GuestAddress CommandLine,
    IReadOnlyList<MultibootModuleEntry> Modules,
    IReadOnlyList<E820Entry> MemoryMap,
    uint MemLowerKiB,
    uint MemUpperKiB);
