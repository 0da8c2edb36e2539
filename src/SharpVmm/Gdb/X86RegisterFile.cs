using SharpVmm.Kvm.Structs;

namespace SharpVmm.Gdb;

/// <summary>
/// One vCPU's registers as KVM hands them out (<c>KVM_GET_REGS</c>, <c>KVM_GET_SREGS</c>, <c>KVM_GET_FPU</c>): what a
/// <see cref="GdbRegisterLayout"/> reads gdb's register packets from and writes them into. Writes change only these
/// copies; putting them back into the vCPU is the caller's job.
/// </summary>
public struct X86RegisterFile
{
    /// <summary>General registers, RIP and RFLAGS.</summary>
    public KvmRegs Regs;

    /// <summary>Segment registers, control registers and EFER.</summary>
    public KvmSregs Sregs;

    /// <summary>x87 and SSE state.</summary>
    public KvmFpu Fpu;
}
