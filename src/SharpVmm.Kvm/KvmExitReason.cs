namespace SharpVmm.Kvm;

/// <summary><c>KVM_EXIT_*</c>: why KVM_RUN returned to user space.</summary>
public enum KvmExitReason : uint
{
#pragma warning disable CS1591 // names follow <linux/kvm.h>
    Unknown = 0,
    Exception = 1,
    Io = 2,
    Hypercall = 3,
    Debug = 4,
    Hlt = 5,
    Mmio = 6,
    IrqWindowOpen = 7,
    Shutdown = 8,
    FailEntry = 9,
    Intr = 10,
    SetTpr = 11,
    TprAccess = 12,
    Nmi = 16,
    InternalError = 17,
    SystemEvent = 24,
    IoapicEoi = 26,
    Hyperv = 27,
    X86Rdmsr = 29,
    X86Wrmsr = 30,
    DirtyRingFull = 31,
    X86BusLock = 33,
    Notify = 37,
    MemoryFault = 39,
#pragma warning restore CS1591
}
