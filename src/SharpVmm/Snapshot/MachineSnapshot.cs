using SharpVmm.Memory;

namespace SharpVmm.Snapshot;

/// <summary>
/// Captures a paused <see cref="MicroVm"/> into a <see cref="VmSnapshotState"/>, and applies one to a VM freshly built
/// around the snapshot's memory, in the order KVM needs: the VM's irqchip, PIT and clock, then the devices (which
/// re-activate virtio devices at their saved ring positions), then each vCPU.
/// </summary>
internal static class MachineSnapshot
{
    public static VmSnapshotState Capture(MicroVm vm, SnapshotType type)
    {
        VirtualMachine machine = vm.Machine;
        SnapshotMsrs msrs = machine.SnapshotMsrs;
        return new VmSnapshotState
        {
            Type = type,
            Config = vm.Config,
            KernelCommandLine = vm.KernelCommandLine,
            Memory = [.. machine.RamLayout.Ranges.Select(r => new MemoryRangeState { Start = r.Start.Value, Size = r.Size })],
            Vcpus = [.. machine.Vcpus.Select(v => VcpuState.Capture(v.Kvm, msrs.Indices))],
            Kvm = machine.HasIrqchip ? VmKvmState.Capture(machine.Kvm) : null,
            Devices = DeviceSnapshot.Capture(vm.Parts),
        };
    }

    public static void Apply(MicroVm vm, VmSnapshotState state, bool clockRealtime)
    {
        VirtualMachine machine = vm.Machine;
        if (state.Vcpus.Count != machine.Vcpus.Count)
        {
            throw new SnapshotException($"the snapshot has {state.Vcpus.Count} vCPU state(s) for a VM of {machine.Vcpus.Count} vCPU(s)");
        }

        if ((state.Kvm is null) == machine.HasIrqchip)
        {
            throw new SnapshotException(machine.HasIrqchip
                ? "the snapshot has no in-kernel irqchip state, and the VM built from its configuration has an irqchip"
                : "the snapshot has in-kernel irqchip state, and the VM built from its configuration has no irqchip");
        }

        try
        {
            state.Kvm?.ApplyTo(machine.Kvm, clockRealtime);
            DeviceSnapshot.Apply(vm.Parts, state.Devices);
            for (int i = 0; i < machine.Vcpus.Count; i++)
            {
                state.Vcpus[i].ApplyTo(machine.Vcpus[i].Kvm);
            }
        }
        catch (InvalidDataException ex)
        {
            throw new SnapshotException($"the snapshot's KVM state is malformed: {ex.Message}", ex);
        }
        catch (Kvm.KvmException ex)
        {
            throw new SnapshotException($"KVM refused the snapshot's state: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// The pages changed since the last call (or since tracking began), per memory region: those KVM's dirty log
    /// reports the guest wrote, and those the VMM's devices reached (<see cref="GuestMemoryRegion.TakeWrittenPages"/>).
    /// Both records are cleared.
    /// </summary>
    public static IReadOnlyList<ulong[]> TakeChangedPages(VirtualMachine machine)
    {
        var changed = new List<ulong[]>(machine.Memory.Regions.Count);
        for (int i = 0; i < machine.Memory.Regions.Count; i++)
        {
            GuestMemoryRegion region = machine.Memory.Regions[i];
            ulong[] guest = new DirtyPageLog(machine.Kvm, machine.MemorySlots[i]).ReadBitmap();
            ulong[] vmm = region.TakeWrittenPages() ?? throw new InvalidOperationException("the VMM's writes are not being tracked");
            for (int w = 0; w < guest.Length; w++)
            {
                guest[w] |= vmm[w];
            }

            changed.Add(guest);
        }

        return changed;
    }
}
