using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary>
/// The header of <c>struct kvm_irq_routing</c> for <c>KVM_SET_GSI_ROUTING</c> (api.rst 4.52); <see cref="Nr"/>
/// <see cref="KvmIrqRoutingEntry"/> values follow it in the same buffer.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmIrqRouting
{
    /// <summary>Number of entries that follow.</summary>
    public uint Nr;
    /// <summary>Must be 0.</summary>
    public uint Flags;
}
