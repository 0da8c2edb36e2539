using SharpVmm.Boot.MemoryMap;
using SharpVmm.Memory;

namespace SharpVmm.Boot.Linux;

/// <summary>
/// What <see cref="LinuxKernelLoader"/> placed, and how the VM layer must start the kernel: in 64-bit long mode at
/// <see cref="EntryPoint"/>, with RSI = <see cref="ZeroPage"/>, identity-mapped page tables covering the loaded ranges,
/// interrupts off, and flat __BOOT_CS/__BOOT_DS segments (boot.rst, "64-bit Boot Protocol").
/// </summary>
/// <param name="EntryPoint">64-bit entry: kernel load address + 0x200.</param>
/// <param name="ZeroPage">Address of struct boot_params (goes in RSI).</param>
/// <param name="KernelAddress">Where the protected-mode kernel was copied.</param>
/// <param name="KernelSize">Bytes of protected-mode kernel copied.</param>
/// <param name="KernelMemoryEnd">First address above the memory the kernel needs while it initializes (runtime start + init_size).</param>
/// <param name="CommandLine">Address of the command line.</param>
/// <param name="CommandLineSize">Bytes of command line written, NUL included.</param>
/// <param name="InitrdAddress">Where the initrd was placed, or <c>null</c> when there is none.</param>
/// <param name="InitrdSize">Bytes of initrd (0 when there is none).</param>
/// <param name="MemoryMap">The e820 map written to the zero page.</param>
/// <param name="Header">The kernel's parsed setup header.</param>
public sealed record LinuxBootInfo(
    GuestAddress EntryPoint,
    GuestAddress ZeroPage,
    GuestAddress KernelAddress,
    ulong KernelSize,
    GuestAddress KernelMemoryEnd,
    GuestAddress CommandLine,
    int CommandLineSize,
    GuestAddress? InitrdAddress,
    ulong InitrdSize,
    IReadOnlyList<E820Entry> MemoryMap,
    LinuxSetupHeader Header);
