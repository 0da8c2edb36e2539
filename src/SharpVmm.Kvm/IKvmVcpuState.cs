using SharpVmm.Kvm.Structs;

namespace SharpVmm.Kvm;

/// <summary>
/// The vCPU state ioctls an exit handler may need on a rare path (registers, FPU, events, address translation).
/// <see cref="KvmVcpu"/> implements it; tests substitute a fake.
/// </summary>
public interface IKvmVcpuState
{
    /// <summary><c>KVM_GET_REGS</c>.</summary>
    KvmRegs GetRegs();

    /// <summary><c>KVM_SET_REGS</c>.</summary>
    void SetRegs(in KvmRegs regs);

    /// <summary><c>KVM_GET_SREGS</c>.</summary>
    KvmSregs GetSregs();

    /// <summary><c>KVM_GET_FPU</c>.</summary>
    KvmFpu GetFpu();

    /// <summary><c>KVM_SET_FPU</c>.</summary>
    void SetFpu(in KvmFpu fpu);

    /// <summary><c>KVM_GET_VCPU_EVENTS</c>.</summary>
    KvmVcpuEvents GetVcpuEvents();

    /// <summary><c>KVM_SET_VCPU_EVENTS</c>.</summary>
    void SetVcpuEvents(in KvmVcpuEvents events);

    /// <summary><c>KVM_TRANSLATE</c>: the guest-physical address of a linear address, or <c>null</c> when unmapped.</summary>
    ulong? Translate(ulong linearAddress);
}
