using Iced.Intel;
using SharpVmm.Kvm.Structs;
using SharpVmm.Memory;
using SharpVmm.X86;

namespace SharpVmm.Tests.Support;

/// <summary>Assembles test guests with Iced, and gives 64-bit ones an IDT.</summary>
public static class GuestCode
{
    public static byte[] Assemble(int bitness, ulong address, Action<Assembler> body)
    {
        var asm = new Assembler(bitness);
        body(asm);
        using var stream = new MemoryStream();
        asm.Assemble(new StreamCodeWriter(stream), address);
        return stream.ToArray();
    }

    /// <summary>Writes a 64-bit interrupt gate (present, DPL 0, IST 0, the flat code selector) for <paramref name="vector"/>.</summary>
    public static void WriteInterruptGate(GuestMemory memory, ulong idt, int vector, ulong handler)
    {
        ulong low = (handler & 0xFFFF) | ((ulong)CpuModeSetup.CodeSelector << 16) | (0x8EUL << 40) | (((handler >> 16) & 0xFFFF) << 48);
        memory.Write(new GuestAddress(idt + (ulong)vector * 16), low);
        memory.Write(new GuestAddress(idt + (ulong)vector * 16 + 8), handler >> 32);
    }

    /// <summary>Points <paramref name="vcpu"/>'s IDTR at <paramref name="vectors"/> 16-byte gates at <paramref name="idt"/>.</summary>
    public static void LoadIdt(Vcpu vcpu, ulong idt, int vectors)
    {
        KvmSregs sregs = vcpu.Kvm.GetSregs();
        sregs.Idt = new KvmDtable { Base = idt, Limit = (ushort)(vectors * 16 - 1) };
        vcpu.Kvm.SetSregs(sregs);
    }
}
