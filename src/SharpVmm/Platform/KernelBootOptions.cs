namespace SharpVmm.Platform;

/// <summary>What <see cref="DirectKernelBoot"/> loads: a kernel, an optional initrd and a command line.</summary>
public sealed record KernelBootOptions
{
    /// <summary>The whole kernel image file.</summary>
    public required ReadOnlyMemory<byte> Kernel { get; init; }

    /// <summary>Names the kernel in error messages (usually its path).</summary>
    public string KernelName { get; init; } = "kernel";

    /// <summary>The initial ramdisk (a cpio archive, possibly compressed); empty for none.</summary>
    public ReadOnlyMemory<byte> Initrd { get; init; }

    /// <summary>Names the initrd in error messages.</summary>
    public string InitrdName { get; init; } = "initrd";

    /// <summary>The kernel command line.</summary>
    public string CommandLine { get; init; } = "";

    /// <summary>How to start the kernel; <see cref="KernelFormat.Auto"/> looks at the file.</summary>
    public KernelFormat Format { get; init; } = KernelFormat.Auto;

    /// <summary>Whether to write an MP table listing every vCPU and the IOAPIC (needed without ACPI for SMP).</summary>
    public bool WriteMpTable { get; init; } = true;

    /// <summary>
    /// When set, ACPI tables describing these ports (<see cref="AcpiPlatform"/> must have put its devices there)
    /// and every vCPU are written, and their RSDP is handed to the kernel in its boot parameters.
    /// </summary>
    public X86.Acpi.AcpiLayout? Acpi { get; init; }

    /// <summary>
    /// The PCI slots on bus 0 that hold devices (<see cref="VirtioPlatform.PciSlots"/>): when any are given, the DSDT
    /// describes the PCI host bridge (PNP0A03 with its windows and _PRT) and the MP table lists the PCI bus and its INTx
    /// routes. Empty: no PCI in the firmware tables.
    /// </summary>
    public IReadOnlyList<int> PciSlots { get; init; } = [];

    /// <summary>CPUID policy for every vCPU; <c>null</c> chooses one for this host (see <see cref="DirectKernelBoot"/>).</summary>
    public X86.CpuidPolicy? CpuidPolicy { get; init; }
}
