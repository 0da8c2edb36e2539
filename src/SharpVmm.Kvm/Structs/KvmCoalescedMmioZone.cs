using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary>
/// <c>struct kvm_coalesced_mmio_zone</c> for <c>KVM_REGISTER_COALESCED_MMIO</c> and
/// <c>KVM_UNREGISTER_COALESCED_MMIO</c> (api.rst 4.116): writes into the zone are queued in a ring instead of exiting.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmCoalescedMmioZone
{
    /// <summary>First port or guest-physical address of the zone.</summary>
    public ulong Addr;
    /// <summary>Length of the zone in bytes.</summary>
    public uint Size;
    /// <summary>1 when <see cref="Addr"/> is a port (<c>KVM_CAP_COALESCED_PIO</c>), 0 for MMIO.</summary>
    public uint Pio;
}
