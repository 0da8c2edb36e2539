using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary>
/// The head of <c>struct kvm_run</c>, the page shared between KVM and the VMM for one vCPU.
/// Only the fields SharpVmm reads are named; the exit union starts at <see cref="ExitUnionOffset"/>.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct KvmRun
{
    /// <summary>Size of the C structure.</summary>
    public const int Size = 2352;

    /// <summary>Offset of the anonymous exit-information union.</summary>
    public const int ExitUnionOffset = 32;

    /// <summary>Offset of the <c>s</c> (sync regs) union.</summary>
    public const int SyncRegsOffset = 304;

    /// <summary>Ask KVM to exit when the guest can take an interrupt.</summary>
    [FieldOffset(0)] public byte RequestInterruptWindow;

    /// <summary>When non-zero, KVM_RUN returns EINTR at once without entering the guest.</summary>
    [FieldOffset(1)] public byte ImmediateExit;

    /// <summary>Why KVM_RUN returned (<see cref="KvmExitReason"/>).</summary>
    [FieldOffset(8)] public uint ExitReason;

    /// <summary>The guest can take an interrupt now.</summary>
    [FieldOffset(12)] public byte ReadyForInterruptInjection;

    /// <summary>The guest's RFLAGS.IF.</summary>
    [FieldOffset(13)] public byte IfFlag;

    /// <summary><c>KVM_RUN_X86_*</c> flags.</summary>
    [FieldOffset(14)] public ushort Flags;

    /// <summary>CR8 at exit.</summary>
    [FieldOffset(16)] public ulong Cr8;

    /// <summary>IA32_APIC_BASE at exit.</summary>
    [FieldOffset(24)] public ulong ApicBase;

    /// <summary><c>KVM_EXIT_IO</c> details.</summary>
    [FieldOffset(ExitUnionOffset)] public KvmRunIo Io;

    /// <summary><c>KVM_EXIT_MMIO</c> details.</summary>
    [FieldOffset(ExitUnionOffset)] public KvmRunMmio Mmio;

    /// <summary><c>KVM_EXIT_FAIL_ENTRY</c> details.</summary>
    [FieldOffset(ExitUnionOffset)] public KvmRunFailEntry FailEntry;

    /// <summary><c>KVM_EXIT_INTERNAL_ERROR</c> details.</summary>
    [FieldOffset(ExitUnionOffset)] public KvmRunInternal Internal;

    /// <summary><c>KVM_EXIT_INTERNAL_ERROR</c> with suberror <c>KVM_INTERNAL_ERROR_EMULATION</c> and instruction bytes.</summary>
    [FieldOffset(ExitUnionOffset)] public KvmRunEmulationFailure EmulationFailure;

    /// <summary><c>KVM_EXIT_SYSTEM_EVENT</c> details.</summary>
    [FieldOffset(ExitUnionOffset)] public KvmRunSystemEvent SystemEvent;

    /// <summary><c>KVM_EXIT_UNKNOWN</c> details (hardware exit reason).</summary>
    [FieldOffset(ExitUnionOffset)] public ulong HardwareExitReason;

    /// <summary><c>KVM_EXIT_DEBUG</c> details.</summary>
    [FieldOffset(ExitUnionOffset)] public KvmDebugExitArch Debug;

    /// <summary>Which sync-register sets KVM fills on exit (<c>KVM_SYNC_X86_*</c>).</summary>
    [FieldOffset(288)] public ulong KvmValidRegs;

    /// <summary>Which sync-register sets the VMM changed and KVM must load.</summary>
    [FieldOffset(296)] public ulong KvmDirtyRegs;

    /// <summary>Sync registers (<c>s.regs.regs</c>).</summary>
    [FieldOffset(SyncRegsOffset)] public KvmRegs SyncRegs;

    /// <summary>Sync segment registers (<c>s.regs.sregs</c>).</summary>
    [FieldOffset(SyncRegsOffset + 144)] public KvmSregs SyncSregs;
}
