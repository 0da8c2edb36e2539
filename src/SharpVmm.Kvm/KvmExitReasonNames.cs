namespace SharpVmm.Kvm;

/// <summary>The C names of exit reasons, as the classic demos print them.</summary>
public static class KvmExitReasonNames
{
    /// <summary>Returns e.g. <c>KVM_EXIT_HLT</c>, or <c>KVM_EXIT_0x2a</c> for a reason this table does not know.</summary>
    public static string Of(uint reason) => (KvmExitReason)reason switch
    {
        KvmExitReason.Unknown => "KVM_EXIT_UNKNOWN",
        KvmExitReason.Exception => "KVM_EXIT_EXCEPTION",
        KvmExitReason.Io => "KVM_EXIT_IO",
        KvmExitReason.Hypercall => "KVM_EXIT_HYPERCALL",
        KvmExitReason.Debug => "KVM_EXIT_DEBUG",
        KvmExitReason.Hlt => "KVM_EXIT_HLT",
        KvmExitReason.Mmio => "KVM_EXIT_MMIO",
        KvmExitReason.IrqWindowOpen => "KVM_EXIT_IRQ_WINDOW_OPEN",
        KvmExitReason.Shutdown => "KVM_EXIT_SHUTDOWN",
        KvmExitReason.FailEntry => "KVM_EXIT_FAIL_ENTRY",
        KvmExitReason.Intr => "KVM_EXIT_INTR",
        KvmExitReason.SetTpr => "KVM_EXIT_SET_TPR",
        KvmExitReason.TprAccess => "KVM_EXIT_TPR_ACCESS",
        KvmExitReason.Nmi => "KVM_EXIT_NMI",
        KvmExitReason.InternalError => "KVM_EXIT_INTERNAL_ERROR",
        KvmExitReason.SystemEvent => "KVM_EXIT_SYSTEM_EVENT",
        KvmExitReason.IoapicEoi => "KVM_EXIT_IOAPIC_EOI",
        KvmExitReason.Hyperv => "KVM_EXIT_HYPERV",
        KvmExitReason.X86Rdmsr => "KVM_EXIT_X86_RDMSR",
        KvmExitReason.X86Wrmsr => "KVM_EXIT_X86_WRMSR",
        KvmExitReason.DirtyRingFull => "KVM_EXIT_DIRTY_RING_FULL",
        KvmExitReason.X86BusLock => "KVM_EXIT_X86_BUS_LOCK",
        KvmExitReason.Notify => "KVM_EXIT_NOTIFY",
        KvmExitReason.MemoryFault => "KVM_EXIT_MEMORY_FAULT",
        _ => $"KVM_EXIT_0x{reason:x}",
    };
}
