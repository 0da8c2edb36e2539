namespace SharpVmm.Kvm;

/// <summary><c>KVM_EXIT_*</c>: why KVM_RUN returned to user space.</summary>
public enum KvmExitReason : uint
{
    /// <summary><c>KVM_EXIT_UNKNOWN</c>: no reason KVM knows; the hardware exit reason says more.</summary>
    Unknown = 0,
    /// <summary><c>KVM_EXIT_EXCEPTION</c>: a guest exception.</summary>
    Exception = 1,
    /// <summary><c>KVM_EXIT_IO</c>: port I/O for user space to carry out.</summary>
    Io = 2,
    /// <summary><c>KVM_EXIT_HYPERCALL</c>: a hypercall.</summary>
    Hypercall = 3,
    /// <summary><c>KVM_EXIT_DEBUG</c>: a debug event: a breakpoint or a single step.</summary>
    Debug = 4,
    /// <summary><c>KVM_EXIT_HLT</c>: the guest ran HLT and no in-kernel local APIC waits for it.</summary>
    Hlt = 5,
    /// <summary><c>KVM_EXIT_MMIO</c>: an MMIO access no in-kernel device claimed.</summary>
    Mmio = 6,
    /// <summary><c>KVM_EXIT_IRQ_WINDOW_OPEN</c>: the guest can take an interrupt now.</summary>
    IrqWindowOpen = 7,
    /// <summary><c>KVM_EXIT_SHUTDOWN</c>: the guest shut down (a triple fault).</summary>
    Shutdown = 8,
    /// <summary><c>KVM_EXIT_FAIL_ENTRY</c>: entering the guest failed.</summary>
    FailEntry = 9,
    /// <summary><c>KVM_EXIT_INTR</c>: a signal interrupted KVM_RUN.</summary>
    Intr = 10,
    /// <summary><c>KVM_EXIT_SET_TPR</c>: the guest set the task priority.</summary>
    SetTpr = 11,
    /// <summary><c>KVM_EXIT_TPR_ACCESS</c>: a task-priority access KVM was asked to report.</summary>
    TprAccess = 12,
    /// <summary><c>KVM_EXIT_NMI</c>: an NMI.</summary>
    Nmi = 16,
    /// <summary><c>KVM_EXIT_INTERNAL_ERROR</c>: KVM could not go on, for example its emulator failed.</summary>
    InternalError = 17,
    /// <summary><c>KVM_EXIT_SYSTEM_EVENT</c>: the guest asked for a shutdown, a reset or a crash dump.</summary>
    SystemEvent = 24,
    /// <summary><c>KVM_EXIT_IOAPIC_EOI</c>: an EOI for a level-triggered interrupt of a user-space IOAPIC.</summary>
    IoapicEoi = 26,
    /// <summary><c>KVM_EXIT_HYPERV</c>: a Hyper-V synthetic event.</summary>
    Hyperv = 27,
    /// <summary><c>KVM_EXIT_X86_RDMSR</c>: an RDMSR for user space to answer.</summary>
    X86Rdmsr = 29,
    /// <summary><c>KVM_EXIT_X86_WRMSR</c>: a WRMSR for user space to carry out.</summary>
    X86Wrmsr = 30,
    /// <summary><c>KVM_EXIT_DIRTY_RING_FULL</c>: the dirty-page ring is full.</summary>
    DirtyRingFull = 31,
    /// <summary><c>KVM_EXIT_X86_BUS_LOCK</c>: the guest took a bus lock.</summary>
    X86BusLock = 33,
    /// <summary><c>KVM_EXIT_NOTIFY</c>: the guest ran too long without an event window.</summary>
    Notify = 37,
    /// <summary><c>KVM_EXIT_MEMORY_FAULT</c>: a guest memory access user space must resolve.</summary>
    MemoryFault = 39,
}
