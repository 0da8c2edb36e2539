using SharpVmm.Boot.MemoryMap;
using SharpVmm.Memory;

namespace SharpVmm.Platform;

/// <summary>What <see cref="DirectKernelBoot.Prepare"/> did.</summary>
/// <param name="Format">The format the kernel was started as.</param>
/// <param name="EntryPoint">Where vCPU 0 starts.</param>
/// <param name="BootParameters">The zero page (bzImage, in RSI) or <c>hvm_start_info</c> (PVH, in EBX).</param>
/// <param name="InitrdAddress">Where the initrd went, if there is one.</param>
/// <param name="MemoryMap">The memory map the kernel was given.</param>
/// <param name="RefusedMsrs">Boot MSRs this host's KVM did not accept (reported, not fatal).</param>
/// <param name="AcpiRsdp">Where the ACPI RSDP was written, when ACPI tables were.</param>
/// <param name="Segments">An ELF kernel's loaded segments (PVH); empty for a bzImage, which places itself.</param>
public sealed record KernelBootResult(
    KernelFormat Format,
    GuestAddress EntryPoint,
    GuestAddress BootParameters,
    GuestAddress? InitrdAddress,
    IReadOnlyList<E820Entry> MemoryMap,
    IReadOnlyList<uint> RefusedMsrs,
    GuestAddress? AcpiRsdp = null,
    IReadOnlyList<KernelSegment>? Segments = null);
