namespace SharpVmm;

// What a snapshot needs of the VM beyond its memory and vCPUs.
public sealed partial class VirtualMachine
{
    /// <summary>
    /// The KVM memory slots, in slot order: one per region of <see cref="Memory"/>
    /// (<see cref="Memory.GuestMemory.Regions"/>, below the 32-bit hole and from 4 GiB).
    /// </summary>
    public IReadOnlyList<MemorySlot> MemorySlots { get; internal init; } = [];

    private Snapshot.SnapshotMsrs? _snapshotMsrs;

    /// <summary>The MSRs a snapshot of this VM saves: KVM's list, less those its vCPUs cannot read (found once, while paused).</summary>
    internal Snapshot.SnapshotMsrs SnapshotMsrs => _snapshotMsrs ??= Snapshot.SnapshotMsrs.For(KvmSystem, Vcpus[0].Kvm);
}
