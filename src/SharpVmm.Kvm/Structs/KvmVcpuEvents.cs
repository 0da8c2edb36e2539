using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary><c>struct kvm_vcpu_events</c>: pending and injected exceptions, interrupts, NMIs and SMIs.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmVcpuEvents
{
    /// <summary><c>exception.injected</c>: an exception is being delivered.</summary>
    public byte ExceptionInjected;
    /// <summary><c>exception.nr</c>: its vector.</summary>
    public byte ExceptionNr;
    /// <summary><c>exception.has_error_code</c>: it pushes <see cref="ExceptionErrorCode"/>.</summary>
    public byte ExceptionHasErrorCode;
    /// <summary><c>exception.pending</c>: an exception is raised but not yet delivered.</summary>
    public byte ExceptionPending;
    /// <summary><c>exception.error_code</c>: its error code.</summary>
    public uint ExceptionErrorCode;
    /// <summary><c>interrupt.injected</c>: an external interrupt is being delivered.</summary>
    public byte InterruptInjected;
    /// <summary><c>interrupt.nr</c>: its vector.</summary>
    public byte InterruptNr;
    /// <summary><c>interrupt.soft</c>: it is a software interrupt (INT n).</summary>
    public byte InterruptSoft;
    /// <summary><c>interrupt.shadow</c>: the STI or MOV SS shadow that blocks interrupts for one instruction.</summary>
    public byte InterruptShadow;
    /// <summary><c>nmi.injected</c>: an NMI is being delivered.</summary>
    public byte NmiInjected;
    /// <summary><c>nmi.pending</c>: an NMI waits to be delivered.</summary>
    public byte NmiPending;
    /// <summary><c>nmi.masked</c>: NMIs are blocked until the next IRET.</summary>
    public byte NmiMasked;
    /// <summary><c>nmi.pad</c>: padding.</summary>
    public byte NmiPad;
    /// <summary><c>sipi_vector</c>: the vector of the last startup IPI.</summary>
    public uint SipiVector;
    /// <summary><c>KVM_VCPUEVENT_VALID_*</c>.</summary>
    public uint Flags;
    /// <summary><c>smi.smm</c>: the vCPU is in system management mode.</summary>
    public byte SmiSmm;
    /// <summary><c>smi.pending</c>: an SMI waits to be delivered.</summary>
    public byte SmiPending;
    /// <summary><c>smi.smm_inside_nmi</c>: SMM was entered while an NMI was being handled.</summary>
    public byte SmiSmmInsideNmi;
    /// <summary><c>smi.latched_init</c>: an INIT arrived in SMM and waits for its end.</summary>
    public byte SmiLatchedInit;
    /// <summary><c>triple_fault.pending</c>: a triple fault waits to be delivered.</summary>
    public byte TripleFaultPending;
    private fixed byte _reserved[26];
    /// <summary><c>exception_has_payload</c>: the pending exception carries <see cref="ExceptionPayload"/>.</summary>
    public byte ExceptionHasPayload;
    /// <summary><c>exception_payload</c>: the fault address of a #PF or the DR6 bits of a #DB not yet applied.</summary>
    public ulong ExceptionPayload;
}
