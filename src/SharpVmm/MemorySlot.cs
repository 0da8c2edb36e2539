using SharpVmm.Memory;

namespace SharpVmm;

/// <summary>One KVM memory slot of a <see cref="VirtualMachine"/>: which guest RAM it maps, and how.</summary>
/// <param name="Slot">The slot number given to <c>KVM_SET_USER_MEMORY_REGION</c>.</param>
/// <param name="Start">The guest-physical start.</param>
/// <param name="Size">The length in bytes.</param>
/// <param name="Flags"><c>KVM_MEM_*</c>: <see cref="Kvm.Structs.KvmUserspaceMemoryRegion.LogDirtyPages"/> when the slot logs dirty pages.</param>
public sealed record MemorySlot(uint Slot, GuestAddress Start, ulong Size, uint Flags)
{
    /// <summary>Whether KVM logs the pages the guest writes in this slot (<see cref="Snapshot.DirtyPageLog"/>).</summary>
    public bool LogsDirtyPages => (Flags & Kvm.Structs.KvmUserspaceMemoryRegion.LogDirtyPages) != 0;
}
