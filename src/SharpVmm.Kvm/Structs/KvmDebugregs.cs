using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary><c>struct kvm_debugregs</c> for <c>KVM_GET_DEBUGREGS</c>/<c>KVM_SET_DEBUGREGS</c> (<c>KVM_CAP_DEBUGREGS</c>).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmDebugregs
{
    /// <summary>DR0-DR3, the breakpoint addresses.</summary>
    public fixed ulong Db[4];
    /// <summary>DR6, the debug status.</summary>
    public ulong Dr6;
    /// <summary>DR7, the debug control.</summary>
    public ulong Dr7;
    /// <summary>No flags are defined; KVM refuses any.</summary>
    public ulong Flags;
    private fixed ulong _reserved[9];
}
