using SharpVmm.Kvm;
using SharpVmm.Kvm.Structs;

namespace SharpVmm.Tests.Support;

/// <summary>An in-memory vCPU for exit-handler tests: the state ioctls read and write these fields.</summary>
public sealed class FakeVcpuState : IKvmVcpuState
{
    public KvmRegs Regs;
    public KvmSregs Sregs;
    public KvmFpu Fpu;
    public KvmVcpuEvents Events;

    /// <summary>Linear to physical; identity when null.</summary>
    public Func<ulong, ulong?>? Translation { get; set; }

    public List<string> Calls { get; } = [];

    public KvmRegs GetRegs() => Regs;

    public void SetRegs(in KvmRegs regs)
    {
        Calls.Add("SetRegs");
        Regs = regs;
        // Like KVM's __set_regs: a pending (not yet injected) exception is dropped.
        Events.ExceptionPending = 0;
    }

    public KvmSregs GetSregs() => Sregs;

    public KvmFpu GetFpu() => Fpu;

    public void SetFpu(in KvmFpu fpu)
    {
        Calls.Add("SetFpu");
        Fpu = fpu;
    }

    public KvmVcpuEvents GetVcpuEvents() => Events;

    public void SetVcpuEvents(in KvmVcpuEvents events)
    {
        Calls.Add("SetVcpuEvents");
        Events = events;
    }

    public ulong? Translate(ulong linearAddress) => Translation is null ? linearAddress : Translation(linearAddress);
}
