using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary><c>struct kvm_lapic_state</c>: the local APIC's 1 KiB register page.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmLapicState
{
    /// <summary>Register page, laid out as in the APIC's MMIO window.</summary>
    public fixed byte Regs[1024];
}
