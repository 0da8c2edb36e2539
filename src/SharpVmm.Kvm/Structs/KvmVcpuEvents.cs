using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary><c>struct kvm_vcpu_events</c>: pending and injected exceptions, interrupts, NMIs and SMIs.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmVcpuEvents
{
#pragma warning disable CS1591 // field names follow <linux/kvm.h>
    public byte ExceptionInjected, ExceptionNr, ExceptionHasErrorCode, ExceptionPending;
    public uint ExceptionErrorCode;
    public byte InterruptInjected, InterruptNr, InterruptSoft, InterruptShadow;
    public byte NmiInjected, NmiPending, NmiMasked, NmiPad;
    public uint SipiVector;
    /// <summary><c>KVM_VCPUEVENT_VALID_*</c>.</summary>
    public uint Flags;
    public byte SmiSmm, SmiPending, SmiSmmInsideNmi, SmiLatchedInit;
    public byte TripleFaultPending;
    private fixed byte _reserved[26];
    public byte ExceptionHasPayload;
    public ulong ExceptionPayload;
#pragma warning restore CS1591
}
