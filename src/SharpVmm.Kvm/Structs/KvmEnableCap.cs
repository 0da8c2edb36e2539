using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary><c>struct kvm_enable_cap</c> for <c>KVM_ENABLE_CAP</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmEnableCap
{
    /// <summary>The <c>KVM_CAP_*</c> number.</summary>
    public uint Cap;
    /// <summary>Capability-specific flags (must be 0 for most).</summary>
    public uint Flags;
    /// <summary>Capability-specific arguments.</summary>
    public fixed ulong Args[4];
    private fixed byte _pad[64];
}
