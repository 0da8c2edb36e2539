namespace SharpVmm;

/// <summary>What a snapshot needs of the VM beyond its memory and vCPUs.</summary>
public sealed partial class VirtualMachine
{
    /// <summary>
    /// The KVM memory slots, in slot order: one per region of <see cref="Memory"/>
    /// (<see cref="Memory.GuestMemory.Regions"/>, below the 32-bit hole and from 4 GiB).
    /// </summary>
    public IReadOnlyList<MemorySlot> MemorySlots { get; internal init; } = [];
}
