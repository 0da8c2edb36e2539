using SharpVmm.Configuration;

namespace SharpVmm.Snapshot;

/// <summary>
/// Everything a paused VM needs to continue, except its memory (in the memory file): the configuration it was built
/// from, each vCPU's KVM state, the VM's in-kernel irqchip, PIT and clock, and every device's guest-visible state.
/// Host resources are not here; a restore opens them afresh from the configuration.
/// </summary>
public sealed record VmSnapshotState
{
    /// <summary>Full or Diff: what the memory file written with this state holds.</summary>
    public SnapshotType Type { get; set; }

    /// <summary>The VM's configuration (drives, TAPs, memory size, vCPUs, ...).</summary>
    public VmConfig Config { get; set; } = new();

    /// <summary>The kernel command line the VM was booted with; null for a raw guest.</summary>
    public string? KernelCommandLine { get; set; }

    /// <summary>The blocks of guest RAM, in memory file order.</summary>
    public List<MemoryRangeState> Memory { get; set; } = [];

    /// <summary>Each vCPU's state, by vCPU id.</summary>
    public List<VcpuState> Vcpus { get; set; } = [];

    /// <summary>The in-kernel PIC, IOAPIC, PIT and kvmclock; null for a VM without the in-kernel irqchip.</summary>
    public VmKvmState? Kvm { get; set; }

    /// <summary>The devices.</summary>
    public DeviceSnapshotState Devices { get; set; } = new();
}
