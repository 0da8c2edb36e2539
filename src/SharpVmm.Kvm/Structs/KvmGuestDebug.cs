using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary><c>struct kvm_guest_debug</c> with the x86 <c>kvm_guest_debug_arch</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmGuestDebug
{
    /// <summary><c>KVM_GUESTDBG_*</c> flags.</summary>
    public uint Control;
    private readonly uint _pad;
    /// <summary>DR0-DR7.</summary>
    public fixed ulong DebugReg[8];
}
