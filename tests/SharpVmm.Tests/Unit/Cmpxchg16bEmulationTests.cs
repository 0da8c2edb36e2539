using System.Buffers.Binary;
using SharpVmm.Exits;
using SharpVmm.Kvm.Structs;
using SharpVmm.Tests.Support;
using Xunit;
using static Iced.Intel.AssemblerRegisters;
using static SharpVmm.Exits.InstructionEmulator;

namespace SharpVmm.Tests.Unit;

/// <summary>
/// <c>cmpxchg16b</c>, which KVM's emulator cannot run on a kvm_pvm host (Debian's stock kernel uses it in ring 0):
/// <see cref="InstructionEmulator"/> completes it through the environment's atomic compare-exchange.
/// </summary>
[Tier(TestTiers.Unit)]
public class Cmpxchg16bEmulationTests
{
    private const ulong Rip = 0xFFFF_FFFF_8100_0000;
    private const ulong Operand = 0x10120;
    private const ulong OtherFlags = 0x2 | RflagsCf | RflagsSf | RflagsOf | RflagsAc;

    // lock cmpxchg16b [rbp+0x20], as Debian's kernel has it.
    private static readonly byte[] LockCmpxchg16bRbp20 = [0xF0, 0x48, 0x0F, 0xC7, 0x4D, 0x20];

    private readonly FakeEmulationEnvironment _env = new();
    private KvmRegs _regs = new()
    {
        Rip = Rip,
        Rflags = OtherFlags,
        Rbp = Operand - 0x20,
        Rax = 0x1111_1111_1111_1111,
        Rdx = 0x2222_2222_2222_2222,
        Rbx = 0xBBBB_BBBB_BBBB_BBBB,
        Rcx = 0xCCCC_CCCC_CCCC_CCCC,
    };

    private readonly KvmSregs _sregs = LongMode();

    private static KvmSregs LongMode()
    {
        var s = new KvmSregs { Cr0 = 0x8000_0011, Efer = 0x500 };
        s.Cs.L = 1;
        return s;
    }

    private EmulationAction Decide(byte[] bytes) => InstructionEmulator.Decide(bytes, _regs, _sregs, _env);

    private void PutOperand(ulong low, ulong high)
    {
        _env.Put(Operand, new byte[16]);
        BinaryPrimitives.WriteUInt64LittleEndian(_env.Window.AsSpan((int)(Operand - _env.WindowBase)), low);
        BinaryPrimitives.WriteUInt64LittleEndian(_env.Window.AsSpan((int)(Operand - _env.WindowBase + 8)), high);
    }

    private (ulong Low, ulong High) Operand128() =>
        (BinaryPrimitives.ReadUInt64LittleEndian(_env.Window.AsSpan((int)(Operand - _env.WindowBase))),
         BinaryPrimitives.ReadUInt64LittleEndian(_env.Window.AsSpan((int)(Operand - _env.WindowBase + 8))));

    [Fact]
    public void When_memory_equals_rdx_rax_it_stores_rcx_rbx_and_sets_zf_only()
    {
        PutOperand(_regs.Rax, _regs.Rdx);

        EmulationAction action = Decide(LockCmpxchg16bRbp20);

        Assert.Equal(EmulationActionKind.Resume, action.Kind);
        Assert.Equal("cmpxchg16b", action.Mnemonic);
        Assert.Equal((_regs.Rbx, _regs.Rcx), Operand128());
        Assert.Equal(OtherFlags | RflagsZf, action.Registers.Rflags);
        Assert.Equal(Rip + 6, action.Registers.Rip);
        KvmRegs expected = _regs;
        expected.Rip = Rip + 6;
        expected.Rflags = OtherFlags | RflagsZf;
        Assert.Equal(expected, action.Registers); // RAX, RDX, RBX, RCX and the rest untouched
        Assert.Equal([Operand], _env.CompareExchanges);
    }

    [Fact]
    public void When_memory_differs_it_loads_memory_into_rdx_rax_clears_zf_and_leaves_memory_alone()
    {
        _regs.Rflags = OtherFlags | RflagsZf;
        PutOperand(0x1111_1111_1111_1111, 0x2222_2222_2222_2223); // only the high half differs

        EmulationAction action = Decide(LockCmpxchg16bRbp20);

        Assert.Equal(EmulationActionKind.Resume, action.Kind);
        Assert.Equal((0x1111_1111_1111_1111UL, 0x2222_2222_2222_2223UL), Operand128());
        Assert.Equal(0x1111_1111_1111_1111UL, action.Registers.Rax);
        Assert.Equal(0x2222_2222_2222_2223UL, action.Registers.Rdx);
        Assert.Equal(_regs.Rbx, action.Registers.Rbx);
        Assert.Equal(_regs.Rcx, action.Registers.Rcx);
        Assert.Equal(OtherFlags, action.Registers.Rflags);
        Assert.Equal(Rip + 6, action.Registers.Rip);
    }

    [Fact]
    public void Without_the_lock_prefix_it_is_the_same_compare_exchange()
    {
        PutOperand(_regs.Rax, _regs.Rdx);
        _regs.Rdi = Operand;

        EmulationAction action = InstructionEmulator.Decide(GuestCode.Assemble(64, Rip, a => a.cmpxchg16b(__xmmword_ptr[rdi])), _regs, _sregs, _env);

        Assert.Equal(EmulationActionKind.Resume, action.Kind);
        Assert.Equal((_regs.Rbx, _regs.Rcx), Operand128());
        Assert.Equal(Rip + 4, action.Registers.Rip);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(1)]
    [InlineData(0xFF8)] // would straddle a page
    public void A_misaligned_operand_raises_general_protection_without_touching_anything(int misalignment)
    {
        _regs.Rbp = Operand - 0x20 + (ulong)misalignment;
        PutOperand(_regs.Rax, _regs.Rdx);

        EmulationAction action = Decide(LockCmpxchg16bRbp20);

        Assert.Equal(EmulationActionKind.InjectException, action.Kind);
        Assert.Equal(VectorGeneralProtection, action.Vector);
        Assert.Equal(0u, action.ErrorCode);
        Assert.Equal(_regs, action.Registers); // faults: RIP still at the instruction
        Assert.Empty(_env.CompareExchanges);
        Assert.Equal((_regs.Rax, _regs.Rdx), Operand128());
    }

    [Fact]
    public void An_operand_outside_guest_ram_stops_and_says_where()
    {
        _regs.Rbp = 0xDEAD_0000;

        EmulationAction action = Decide(LockCmpxchg16bRbp20);

        Assert.Equal(EmulationActionKind.Stop, action.Kind);
        Assert.Contains("`lock cmpxchg16b [rbp+0x20]`", action.Message, StringComparison.Ordinal);
        Assert.Contains("0xdead0020", action.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gs_relative_operand_adds_the_gs_base()
    {
        // Per-CPU data, as a kernel addresses it: cmpxchg16b gs:[rsi].
        KvmSregs sregs = _sregs;
        sregs.Gs.Base = Operand - 0x100;
        _regs.Rsi = 0x100;
        PutOperand(_regs.Rax, _regs.Rdx);

        EmulationAction action = InstructionEmulator.Decide([0x65, 0xF0, 0x48, 0x0F, 0xC7, 0x0E], _regs, sregs, _env);

        Assert.Equal(EmulationActionKind.Resume, action.Kind);
        Assert.Equal([Operand], _env.CompareExchanges);
        Assert.Equal((_regs.Rbx, _regs.Rcx), Operand128());
    }
}
