namespace SharpVmm.Kvm;

/// <summary><c>KVM_CAP_*</c> numbers for <c>KVM_CHECK_EXTENSION</c>.</summary>
public enum KvmCap
{
    /// <summary><c>KVM_CAP_IRQCHIP</c>.</summary>
    Irqchip = 0,
    /// <summary><c>KVM_CAP_HLT</c>.</summary>
    Hlt = 1,
    /// <summary><c>KVM_CAP_USER_MEMORY</c>.</summary>
    UserMemory = 3,
    /// <summary><c>KVM_CAP_SET_TSS_ADDR</c>.</summary>
    SetTssAddr = 4,
    /// <summary><c>KVM_CAP_EXT_CPUID</c>.</summary>
    ExtCpuid = 7,
    /// <summary><c>KVM_CAP_MP_STATE</c>.</summary>
    MpState = 14,
    /// <summary><c>KVM_CAP_COALESCED_MMIO</c>: <c>KVM_CHECK_EXTENSION</c> returns the page offset of the coalesced
    /// write ring in a vCPU's mapping, or 0.</summary>
    CoalescedMmio = 15,
    /// <summary><c>KVM_CAP_COALESCED_PIO</c>: coalesced zones may be port ranges.</summary>
    CoalescedPio = 162,
    /// <summary><c>KVM_CAP_NR_VCPUS</c>.</summary>
    NrVcpus = 9,
    /// <summary><c>KVM_CAP_NR_MEMSLOTS</c>.</summary>
    NrMemslots = 10,
    /// <summary><c>KVM_CAP_PIT</c>.</summary>
    Pit = 11,
    /// <summary><c>KVM_CAP_IRQ_ROUTING</c>.</summary>
    IrqRouting = 25,
    /// <summary><c>KVM_CAP_IOEVENTFD</c>.</summary>
    Ioeventfd = 36,
    /// <summary><c>KVM_CAP_SET_IDENTITY_MAP_ADDR</c>.</summary>
    SetIdentityMapAddr = 37,
    /// <summary><c>KVM_CAP_ADJUST_CLOCK</c>.</summary>
    AdjustClock = 39,
    /// <summary><c>KVM_CAP_IRQFD</c>.</summary>
    Irqfd = 32,
    /// <summary><c>KVM_CAP_PIT2</c>.</summary>
    Pit2 = 33,
    /// <summary><c>KVM_CAP_PIT_STATE2</c>.</summary>
    PitState2 = 35,
    /// <summary><c>KVM_CAP_VCPU_EVENTS</c>.</summary>
    VcpuEvents = 41,
    /// <summary><c>KVM_CAP_DEBUGREGS</c>.</summary>
    Debugregs = 50,
    /// <summary><c>KVM_CAP_SET_GUEST_DEBUG</c>.</summary>
    SetGuestDebug = 23,
    /// <summary><c>KVM_CAP_SET_GUEST_DEBUG2</c>: <c>KVM_CHECK_EXTENSION</c> returns the <c>KVM_GUESTDBG_*</c> flags KVM supports.</summary>
    SetGuestDebug2 = 195,
    /// <summary><c>KVM_CAP_XSAVE</c>.</summary>
    Xsave = 55,
    /// <summary><c>KVM_CAP_XCRS</c>.</summary>
    Xcrs = 56,
    /// <summary><c>KVM_CAP_TSC_CONTROL</c>.</summary>
    TscControl = 60,
    /// <summary><c>KVM_CAP_GET_TSC_KHZ</c>.</summary>
    GetTscKhz = 61,
    /// <summary><c>KVM_CAP_MAX_VCPUS</c>.</summary>
    MaxVcpus = 66,
    /// <summary><c>KVM_CAP_SIGNAL_MSI</c>.</summary>
    SignalMsi = 77,
    /// <summary><c>KVM_CAP_IMMEDIATE_EXIT</c>.</summary>
    ImmediateExit = 136,
    /// <summary><c>KVM_CAP_SYNC_REGS</c>.</summary>
    SyncRegs = 74,
    /// <summary><c>KVM_CAP_EXIT_ON_EMULATION_FAILURE</c>.</summary>
    ExitOnEmulationFailure = 204,
    /// <summary><c>KVM_CAP_XSAVE2</c>.</summary>
    Xsave2 = 208,
}
