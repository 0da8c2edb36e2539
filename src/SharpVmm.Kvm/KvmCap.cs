namespace SharpVmm.Kvm;

/// <summary><c>KVM_CAP_*</c> numbers for <c>KVM_CHECK_EXTENSION</c>.</summary>
public enum KvmCap
{
#pragma warning disable CS1591 // names follow <linux/kvm.h>
    Irqchip = 0,
    Hlt = 1,
    UserMemory = 3,
    SetTssAddr = 4,
    ExtCpuid = 7,
    MpState = 14,
    /// <summary><c>KVM_CAP_COALESCED_MMIO</c>: <c>KVM_CHECK_EXTENSION</c> returns the page offset of the coalesced
    /// write ring in a vCPU's mapping, or 0.</summary>
    CoalescedMmio = 15,
    /// <summary><c>KVM_CAP_COALESCED_PIO</c>: coalesced zones may be port ranges.</summary>
    CoalescedPio = 162,
    NrVcpus = 9,
    NrMemslots = 10,
    Pit = 11,
    IrqRouting = 25,
    Ioeventfd = 36,
    SetIdentityMapAddr = 37,
    AdjustClock = 39,
    Irqfd = 32,
    Pit2 = 33,
    PitState2 = 35,
    VcpuEvents = 41,
    Debugregs = 50,
    SetGuestDebug = 23,
    /// <summary><c>KVM_CAP_SET_GUEST_DEBUG2</c>: <c>KVM_CHECK_EXTENSION</c> returns the <c>KVM_GUESTDBG_*</c> flags KVM supports.</summary>
    SetGuestDebug2 = 195,
    Xsave = 55,
    Xcrs = 56,
    TscControl = 60,
    GetTscKhz = 61,
    MaxVcpus = 66,
    SignalMsi = 77,
    ImmediateExit = 136,
    SyncRegs = 74,
    ExitOnEmulationFailure = 204,
    Xsave2 = 208,
#pragma warning restore CS1591
}
