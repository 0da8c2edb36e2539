using SharpVmm.Fuzz.Targets;

namespace SharpVmm.Fuzz;

/// <summary>Every fuzz target, by name.</summary>
public static class FuzzTargets
{
    /// <summary>The targets' names, in the order fuzz/run.sh --list prints them.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "bzimage", "elf-pvh", "multiboot", "virtqueue", "virtio-mmio", "virtio-pci", "pci-config",
        "uart", "i8042", "cmos-rtc", "fw-cfg", "acpi-pm", "instruction-emulator",
    ];

    /// <summary>A new instance of the target called <paramref name="name"/>, or null when there is none.</summary>
    public static IFuzzTarget? Create(string name) => name switch
    {
        "bzimage" => new BzImageTarget(),
        "elf-pvh" => new PvhTarget(),
        "multiboot" => new MultibootTarget(),
        "virtqueue" => new VirtQueueTarget(),
        "virtio-mmio" => new VirtioMmioTarget(),
        "virtio-pci" => new VirtioPciTarget(),
        "pci-config" => new PciConfigTarget(),
        "uart" => new UartTarget(),
        "i8042" => new I8042Target(),
        "cmos-rtc" => new CmosRtcTarget(),
        "fw-cfg" => new FwCfgTarget(),
        "acpi-pm" => new AcpiPmTarget(),
        "instruction-emulator" => new InstructionEmulatorTarget(),
        _ => null,
    };
}
