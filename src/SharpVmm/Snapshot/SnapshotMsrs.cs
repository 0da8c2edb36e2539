using SharpVmm.Kvm;
using SharpVmm.Kvm.Structs;

namespace SharpVmm.Snapshot;

/// <summary>
/// The MSRs a snapshot saves for each vCPU of a VM: those KVM lists (<c>KVM_GET_MSR_INDEX_LIST</c>, the host's
/// architectural MSRs it passes on and the ones it emulates) that <c>KVM_GET_MSRS</c> can read on the VM's vCPUs. Which
/// it can read depends on the vCPU's CPUID (Hyper-V's MSRs only with Hyper-V's leaves, for one), so the list is worked
/// out on a vCPU of the VM, after its CPUID is set, once per VM.
/// </summary>
public sealed class SnapshotMsrs
{
    private SnapshotMsrs(IReadOnlyList<uint> indices, IReadOnlyList<uint> unreadable)
    {
        Indices = indices;
        Unreadable = unreadable;
    }

    /// <summary>The MSRs to save and restore, in KVM's order.</summary>
    public IReadOnlyList<uint> Indices { get; }

    /// <summary>The MSRs KVM lists but this vCPU cannot read; they are left out.</summary>
    public IReadOnlyList<uint> Unreadable { get; }

    /// <summary>
    /// Works out the list on <paramref name="vcpu"/>: reads every listed MSR (reading changes nothing) and leaves out
    /// each one <c>KVM_GET_MSRS</c> stops at.
    /// </summary>
    public static SnapshotMsrs For(KvmSystem system, KvmVcpu vcpu)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(vcpu);
        KvmMsrEntry[] entries = Array.ConvertAll(system.GetMsrIndexList(), index => new KvmMsrEntry(index, 0));
        var readable = new List<uint>(entries.Length);
        var unreadable = new List<uint>();
        int start = 0;
        while (start < entries.Length)
        {
            int read = vcpu.GetMsrsUntilRefused(entries.AsSpan(start));
            for (int i = start; i < start + read; i++)
            {
                readable.Add(entries[i].Index);
            }

            start += read;
            if (start < entries.Length)
            {
                unreadable.Add(entries[start].Index);
                start++;
            }
        }

        return new SnapshotMsrs(readable, unreadable);
    }
}
