using Microsoft.Extensions.Logging;
using SharpVmm.Platform;

namespace SharpVmm;

/// <summary>What a builder hands a new <see cref="MicroVm"/> beside its <see cref="VirtualMachine"/>.</summary>
internal sealed record MicroVmParts
{
    /// <summary>Types bytes on the guest's console.</summary>
    public required Action<ReadOnlySpan<byte>> ConsoleInput { get; init; }

    /// <summary>Where the VM logs.</summary>
    public required ILogger Logger { get; init; }

    /// <summary>The console output file, which the VM closes when it is disposed; null for none.</summary>
    public IDisposable? ConsoleFile { get; init; }

    /// <summary>The virtio devices; null for none.</summary>
    public VirtioPlatform? Virtio { get; init; }

    /// <summary>The kernel command line; null for a raw guest.</summary>
    public string? CommandLine { get; init; }

    /// <summary>The PC keyboard controller; null for a raw guest.</summary>
    public Devices.Legacy.I8042Controller? Keyboard => Pc?.Keyboard;

    /// <summary>COM1 (the kernel platform's, or the raw guest's own).</summary>
    public required Devices.Legacy.Uart8250 Serial { get; init; }

    /// <summary>The PC devices of a kernel guest; null for a raw guest.</summary>
    public PcPlatform? Pc { get; init; }

    /// <summary>The ACPI fixed hardware, when the machine has ACPI.</summary>
    public AcpiPlatform? Acpi { get; init; }

    /// <summary>How the kernel was loaded; null for a raw guest.</summary>
    public KernelBootResult? Boot { get; init; }
}
