using SharpVmm.Exits;
using SharpVmm.Kvm.Structs;

namespace SharpVmm.Fuzz.Targets;

/// <summary>
/// The emulation-failure decision (<see cref="InstructionEmulator.Decide"/>): instruction bytes and vCPU state in, an
/// action out. Input: a mode byte (bit 0 CR0.PE, bit 1 CS.L, bit 2 EFER.LMA, bit 3 CS.D, bit 4 RFLAGS.VM, bits 5-6
/// SS.DPL, bit 7 CR4 bits set), RFLAGS (2 bytes), MXCSR (4 bytes), RIP's low 16 bits, RAX, RBX, RCX, RDX (8 bytes
/// each), the other general registers (2 bytes each, pointing into the memory window), the instruction length (1 byte,
/// 0-15), 15 instruction bytes, then the 4 KiB memory window at linear 0x1000.
/// </summary>
public sealed class InstructionEmulatorTarget : IFuzzTarget
{
    private readonly WindowEmulationEnvironment _environment = new();

    /// <inheritdoc />
    public string Name => "instruction-emulator";

    /// <inheritdoc />
    public string Description => "instruction emulator: decoding and deciding on KVM emulation failures in 16/32/64-bit modes";

    /// <inheritdoc />
    public void Run(ReadOnlySpan<byte> input)
    {
        var script = new AccessScript(input);
        byte mode = script.NextByte();
        var sregs = new KvmSregs
        {
            Cr0 = (mode & 1) != 0 ? 0x8000_0011UL : 0x10UL,
            Cr4 = (mode & 0x80) != 0 ? 0x0034_06F0UL : 0,
            Efer = (mode & 4) != 0 ? 0x500UL : 0,
        };
        sregs.Cs.L = (byte)((mode >> 1) & 1);
        sregs.Cs.Db = (byte)((mode >> 3) & 1);
        sregs.Ss.Dpl = (byte)((mode >> 5) & 3);
        var regs = new KvmRegs
        {
            Rflags = 0x2 | script.NextValue(2) | ((mode & 0x10) != 0 ? InstructionEmulator.RflagsVm : 0),
        };
        _environment.Mxcsr = (uint)script.NextValue(4);
        regs.Rip = WindowEmulationEnvironment.WindowBase + script.NextValue(2);
        regs.Rax = script.NextValue(8);
        regs.Rbx = script.NextValue(8);
        regs.Rcx = script.NextValue(8);
        regs.Rdx = script.NextValue(8);
        regs.Rsi = Pointer(ref script);
        regs.Rdi = Pointer(ref script);
        regs.Rsp = Pointer(ref script);
        regs.Rbp = Pointer(ref script);
        regs.R8 = Pointer(ref script);
        regs.R9 = Pointer(ref script);
        regs.R10 = Pointer(ref script);
        regs.R11 = Pointer(ref script);
        regs.R12 = Pointer(ref script);
        regs.R13 = Pointer(ref script);
        regs.R14 = Pointer(ref script);
        regs.R15 = Pointer(ref script);
        int length = script.NextByte() % 16;
        Span<byte> instruction = stackalloc byte[15];
        script.NextBytes(instruction);
        const int Header = 1 + 2 + 4 + 2 + (4 * 8) + (12 * 2) + 1 + 15;
        _environment.Fill(input[Math.Min(input.Length, Header)..]);

        EmulationAction action = InstructionEmulator.Decide(instruction[..length], regs, sregs, _environment);
        if (!Enum.IsDefined(action.Kind))
        {
            throw new FuzzFindingException($"the emulator answered with the unknown action {action.Kind}");
        }
    }

    private static ulong Pointer(ref AccessScript script) => WindowEmulationEnvironment.WindowBase + script.NextValue(2) - 0x100;
}
