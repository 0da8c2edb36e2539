using SharpVmm.Cli.Parsing;
using SharpVmm.Platform;

namespace SharpVmm.Cli;

/// <summary>Everything <c>sharpvmm boot</c> was asked to do.</summary>
public sealed record KernelBootSpec
{
    /// <summary>The default kernel command line: serial console, and a reboot (which ends the VMM) when the kernel panics.</summary>
    public const string DefaultCommandLine = "console=ttyS0 reboot=k panic=-1";

    /// <summary>The default command line with <c>--console virtio</c>: the console is hvc0.</summary>
    public const string VirtioConsoleCommandLine = "console=hvc0 reboot=k panic=-1";

    /// <summary>Path of the kernel image.</summary>
    public required string KernelPath { get; init; }

    /// <summary>Path of the initrd, if any.</summary>
    public string? InitrdPath { get; init; }

    /// <summary>The kernel command line, before the host's workaround parameters are added.</summary>
    public string CommandLine { get; init; } = DefaultCommandLine;

    /// <summary>Whether to prepend the parameters a Linux kernel needs on this host (see <see cref="DirectKernelBoot.WorkaroundParametersFor"/>).</summary>
    public bool HostWorkarounds { get; init; } = true;

    /// <summary>Give the guest ACPI tables (RSDP, FADT with PM timer and reset register, FACS, MADT, DSDT with S3 and S5) and their devices.</summary>
    public bool Acpi { get; init; } = true;

    /// <summary>Where COM1's output goes: <c>null</c> for stdout, else a file path (created or truncated).</summary>
    public string? ConsoleFile { get; init; }

    /// <summary>How to start the kernel.</summary>
    public KernelFormat Format { get; init; } = KernelFormat.Auto;

    /// <summary>Guest RAM in bytes.</summary>
    public ulong MemorySize { get; init; } = 256UL << 20;

    /// <summary>Number of vCPUs.</summary>
    public int Vcpus { get; init; } = 1;

    /// <summary>Print every port I/O and MMIO access.</summary>
    public bool TraceIo { get; init; }

    /// <summary>Stop after this many exits.</summary>
    public long? MaxExits { get; init; }

    /// <summary>virtio-blk disks, in order (vda, vdb, ...).</summary>
    public IReadOnlyList<DiskOption> Disks { get; init; } = [];

    /// <summary>virtio-net cards, each on a TAP interface.</summary>
    public IReadOnlyList<NetOption> Networks { get; init; } = [];

    /// <summary>Give the guest a virtio-rng device fed from the host's getrandom(2).</summary>
    public bool Entropy { get; init; }

    /// <summary>The console is a virtio-console (hvc0) on stdio instead of COM1.</summary>
    public bool VirtioConsole { get; init; }

    /// <summary>The transport of every virtio device.</summary>
    public VirtioTransport Transport { get; init; } = VirtioTransport.Pci;

    /// <summary>Use ioeventfd/irqfd for virtio notifications where KVM offers them (off: every notification is a VM exit and an interrupt ioctl).</summary>
    public bool EventFds { get; init; } = true;

    /// <summary>Add QEMU's pc-testdev (<see cref="PcTestDevices"/>), its interrupt lines on the in-kernel irqchip.</summary>
    public bool TestDevices { get; init; }

    /// <summary>Stop after this long.</summary>
    public TimeSpan? TimeLimit { get; init; }
}
