using SharpVmm.Memory;

namespace SharpVmm.Boot.Linux;

/// <summary>Where <see cref="LinuxKernelLoader"/> puts things in guest memory.</summary>
/// <param name="ZeroPage">struct boot_params (4 KiB); its address goes in RSI at the 64-bit entry.</param>
/// <param name="CommandLine">The NUL-terminated kernel command line.</param>
/// <param name="KernelLoadAddress">The protected-mode kernel (LOADED_HIGH: 1 MiB).</param>
/// <param name="HeapEndPointer">heap_end_ptr written to the zero page (offset from the real-mode segment, minus 0x200).</param>
public sealed record LinuxBootLayout(GuestAddress ZeroPage, GuestAddress CommandLine, GuestAddress KernelLoadAddress, ushort HeapEndPointer)
{
    /// <summary>
    /// The usual PC layout: zero page at 0x7000, command line at 0x20000, kernel at 0x100000, heap_end_ptr 0xfe00.
    /// All of it sits in low RAM that the default e820 map reports as usable, below the EBDA.
    /// </summary>
    public static LinuxBootLayout Default => new(
        new GuestAddress(0x7000), new GuestAddress(0x2_0000), new GuestAddress(0x10_0000), 0xFE00);

    /// <summary>acpi_rsdp_addr to hand to the kernel, if the VM layer built ACPI tables; <c>null</c> lets the kernel search.</summary>
    public GuestAddress? AcpiRsdp { get; init; }
}
