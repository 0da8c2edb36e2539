using Iced.Intel;
using SharpVmm.Exits;
using SharpVmm.Kvm.Structs;
using SharpVmm.Tests.Support;
using Xunit;
using static Iced.Intel.AssemblerRegisters;
using static SharpVmm.Exits.InstructionEmulator;

namespace SharpVmm.Tests.Unit;

/// <summary>The pure decision part of emulation-failure handling: instruction bytes and vCPU state in, an action out.</summary>
[Tier(TestTiers.Unit)]
public class InstructionEmulatorTests
{
    private const ulong Rip = 0xFFFF_FFFF_8100_0000;
    private const ulong AllArithmeticFlags = RflagsCf | RflagsPf | RflagsAf | RflagsZf | RflagsSf | RflagsOf;

    private readonly FakeEmulationEnvironment _env = new();
    private KvmRegs _regs = new() { Rip = Rip, Rflags = 0x2 };
    private KvmSregs _sregs = LongMode();

    private static KvmSregs LongMode()
    {
        var s = new KvmSregs { Cr0 = 0x8000_0011, Efer = 0x500 };
        s.Cs.L = 1;
        return s;
    }

    private static KvmSregs ProtectedMode32()
    {
        var s = new KvmSregs { Cr0 = 0x11 };
        s.Cs.Db = 1;
        return s;
    }

    private EmulationAction Decide(byte[] bytes) => InstructionEmulator.Decide(bytes, _regs, _sregs, _env);

    private EmulationAction Decide(Action<Assembler> code, int bitness = 64) =>
        Decide(GuestCode.Assemble(bitness, _regs.Rip, code));

    [Fact]
    public void Bitness_follows_cr0_pe_efer_lma_cs_l_and_cs_d()
    {
        Assert.Equal(16, Bitness(new KvmSregs()));
        Assert.Equal(64, Bitness(LongMode()));
        Assert.Equal(32, Bitness(ProtectedMode32()));
        var compat16 = new KvmSregs { Cr0 = 0x11, Efer = 0x500 };
        Assert.Equal(16, Bitness(compat16));
        var lWithoutLma = ProtectedMode32();
        lWithoutLma.Cs.L = 1;
        Assert.Equal(32, Bitness(lWithoutLma));
    }

    [Fact]
    public void Int3_advances_rip_by_one_and_injects_breakpoint()
    {
        EmulationAction action = Decide([0xCC]);

        Assert.Equal(EmulationActionKind.InjectException, action.Kind);
        Assert.Equal(VectorBreakpoint, action.Vector);
        Assert.Null(action.ErrorCode);
        Assert.Equal(Rip + 1, action.Registers.Rip);
        Assert.Equal("int3", action.Mnemonic);
        Assert.Equal(_regs.Rflags, action.Registers.Rflags);
    }

    [Fact]
    public void Trailing_bytes_after_the_instruction_are_ignored()
    {
        // KVM reports its whole fetch window, up to 15 bytes.
        EmulationAction action = Decide([0xCC, 0x0F, 0x0B, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90]);

        Assert.Equal(EmulationActionKind.InjectException, action.Kind);
        Assert.Equal(Rip + 1, action.Registers.Rip);
    }

    [Fact]
    public void Int3_in_16_bit_code_wraps_ip()
    {
        _sregs = new KvmSregs();
        _regs.Rip = 0xFFFF;

        EmulationAction action = Decide([0xCC]);

        Assert.Equal(0UL, action.Registers.Rip);
    }

    [Fact]
    public void Clac_clears_ac_and_stac_sets_it()
    {
        _regs.Rflags = 0x2 | RflagsAc | RflagsCf;
        EmulationAction clac = Decide([0x0F, 0x01, 0xCA]);
        Assert.Equal(EmulationActionKind.Resume, clac.Kind);
        Assert.Equal(0x2 | RflagsCf, clac.Registers.Rflags);
        Assert.Equal(Rip + 3, clac.Registers.Rip);
        Assert.Equal("clac", clac.Mnemonic);

        _regs.Rflags = 0x2;
        EmulationAction stac = Decide([0x0F, 0x01, 0xCB]);
        Assert.Equal(0x2 | RflagsAc, stac.Registers.Rflags);
        Assert.Equal(Rip + 3, stac.Registers.Rip);
        Assert.Equal("stac", stac.Mnemonic);
    }

    [Fact]
    public void Clac_outside_ring_0_raises_invalid_opcode_without_advancing()
    {
        _sregs.Ss.Dpl = 3;
        _regs.Rflags = 0x2 | RflagsAc;

        EmulationAction action = Decide([0x0F, 0x01, 0xCA]);

        Assert.Equal(EmulationActionKind.InjectException, action.Kind);
        Assert.Equal(VectorInvalidOpcode, action.Vector);
        Assert.Equal(Rip, action.Registers.Rip);
        Assert.Equal(0x2 | RflagsAc, action.Registers.Rflags);
    }

    [Fact]
    public void Popcnt_64_bit_register_counts_and_clears_the_arithmetic_flags()
    {
        _regs.Rbx = 0xF000_0000_0000_F0F1;
        _regs.Rax = 0x1234;
        _regs.Rflags = 0x2 | AllArithmeticFlags | RflagsAc;

        EmulationAction action = Decide(a => a.popcnt(rax, rbx));

        Assert.Equal(EmulationActionKind.Resume, action.Kind);
        Assert.Equal(13UL, action.Registers.Rax);
        Assert.Equal(0x2 | RflagsAc, action.Registers.Rflags);
        Assert.Equal(Rip + 5, action.Registers.Rip); // f3 48 0f b8 c3
        Assert.Equal(_regs.Rbx, action.Registers.Rbx);
        Assert.Equal("popcnt", action.Mnemonic);
    }

    [Fact]
    public void Popcnt_of_zero_sets_zf_only()
    {
        _regs.Rcx = 0xFFFF_FFFF_0000_0000; // only the low 32 bits are the source
        _regs.Rdx = 99;
        _regs.Rflags = 0x2 | RflagsCf | RflagsSf;

        EmulationAction action = Decide(a => a.popcnt(edx, ecx));

        Assert.Equal(0UL, action.Registers.Rdx);
        Assert.Equal(0x2 | RflagsZf, action.Registers.Rflags);
    }

    [Fact]
    public void Popcnt_32_bit_destination_zero_extends()
    {
        _regs.Rax = 0xDEAD_BEEF_DEAD_BEEF;
        _regs.R9 = 0x0000_0001_0000_0007;

        EmulationAction action = Decide(a => a.popcnt(eax, r9d));

        Assert.Equal(3UL, action.Registers.Rax);
        Assert.Equal(0UL, action.Registers.Rflags & RflagsZf);
    }

    [Fact]
    public void Popcnt_16_bit_destination_keeps_the_upper_bits()
    {
        _regs.Rax = 0xDEAD_BEEF_DEAD_BEEF;
        _regs.Rcx = 0xFFFF_FFFF_FFFF_0003;

        byte[] bytes = GuestCode.Assemble(64, Rip, a => a.popcnt(ax, cx));
        Assert.Equal([0x66, 0xF3, 0x0F, 0xB8, 0xC1], bytes); // operand-size prefix before the mandatory F3
        EmulationAction action = Decide(bytes);

        Assert.Equal(0xDEAD_BEEF_DEAD_0002UL, action.Registers.Rax);
        Assert.Equal(Rip + 5, action.Registers.Rip);
    }

    [Fact]
    public void Popcnt_with_r8_to_r15_uses_the_rex_registers()
    {
        _regs.R15 = 0xFF;

        EmulationAction action = Decide(a => a.popcnt(r11, r15));

        Assert.Equal(8UL, action.Registers.R11);
    }

    [Fact]
    public void Popcnt_reads_a_memory_operand_with_base_index_scale_and_displacement()
    {
        _regs.Rbx = 0x10100;
        _regs.Rcx = 2;
        _env.Put(0x10100 + 2 * 8 + 0x10, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0xFF);

        EmulationAction action = Decide(a => a.popcnt(rax, __qword_ptr[rbx + rcx * 8 + 0x10]));

        Assert.Equal(EmulationActionKind.Resume, action.Kind);
        Assert.Equal(17UL, action.Registers.Rax);
        Assert.Equal([0x10120UL], _env.Reads);
    }

    [Fact]
    public void Popcnt_memory_operand_reads_only_its_width()
    {
        _regs.Rsi = 0x10200;
        _env.Put(0x10200, 0x01, 0x01, 0xFF, 0xFF);
        _regs.Rdi = 0xFFFF_FFFF_FFFF_FFFF;

        EmulationAction action = Decide(a => a.popcnt(di, __word_ptr[rsi]));

        Assert.Equal(0xFFFF_FFFF_FFFF_0002UL, action.Registers.Rdi);
    }

    [Fact]
    public void Popcnt_uses_the_fs_base_but_not_the_ds_base_in_64_bit_mode()
    {
        _sregs.Fs.Base = 0x10000;
        _sregs.Ds.Base = 0x5000;
        _regs.Rbx = 0x300;
        _env.Put(0x10300, 0x0F, 0x00, 0x00, 0x00);
        EmulationAction fs = Decide(a => a.popcnt(eax, __dword_ptr.fs[rbx]));
        Assert.Equal(4UL, fs.Registers.Rax);

        _regs.Rbx = 0x10300;
        EmulationAction ds = Decide(a => a.popcnt(eax, __dword_ptr[rbx]));
        Assert.Equal(4UL, ds.Registers.Rax);
    }

    [Fact]
    public void Popcnt_in_32_bit_mode_adds_the_ds_base()
    {
        _sregs = ProtectedMode32();
        _sregs.Ds.Base = 0x10000;
        _regs.Rip = 0x100000;
        _regs.Rbx = 0x40;
        _env.Put(0x10040, 0x03, 0x00, 0x00, 0x00);

        EmulationAction action = Decide(a => a.popcnt(ecx, __dword_ptr[ebx]), bitness: 32);

        Assert.Equal(2UL, action.Registers.Rcx);
        Assert.Equal(0x100000UL + 4, action.Registers.Rip); // f3 0f b8 0b
    }

    [Fact]
    public void Popcnt_with_a_rip_relative_operand_reads_next_to_the_code()
    {
        _regs.Rip = 0x10000;
        _env.Put(0x10801, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00);
        byte[] bytes = [0xF3, 0x48, 0x0F, 0xB8, 0x05, 0xF8, 0x07, 0x00, 0x00]; // popcnt rax, [rip + 0x7f8] (next IP 0x10009)

        EmulationAction action = Decide(bytes);

        Assert.Equal(3UL, action.Registers.Rax);
        Assert.Equal([0x10801UL], _env.Reads);
    }

    [Fact]
    public void Popcnt_from_unreadable_memory_stops_and_says_where()
    {
        _regs.Rbx = 0xDEAD_0000;

        EmulationAction action = Decide(a => a.popcnt(rax, __qword_ptr[rbx]));

        Assert.Equal(EmulationActionKind.Stop, action.Kind);
        Assert.Contains("popcnt rax,[rbx]", action.Message!.Replace(", ", ",", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("0xdead0000", action.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Lock_prefixed_popcnt_is_invalid_and_stops()
    {
        EmulationAction action = Decide([0xF0, 0xF3, 0x48, 0x0F, 0xB8, 0xC3]);

        Assert.Equal(EmulationActionKind.Stop, action.Kind);
        Assert.Contains("not a valid 64-bit instruction", action.Message, StringComparison.Ordinal);
        Assert.Contains("f0f3480fb8c3", action.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fwait_is_a_no_op_that_advances_rip()
    {
        _regs.Rax = 5;

        EmulationAction action = Decide([0x9B]);

        Assert.Equal(EmulationActionKind.Resume, action.Kind);
        Assert.Equal(Rip + 1, action.Registers.Rip);
        Assert.Equal(5UL, action.Registers.Rax);
        Assert.Equal("wait", action.Mnemonic);
    }

    [Fact]
    public void Ldmxcsr_loads_mxcsr_from_memory()
    {
        _regs.Rsp = 0x10F00;
        _env.Put(0x10F08, 0xA0, 0x9F, 0x00, 0x00);

        EmulationAction action = Decide(a => a.ldmxcsr(__dword_ptr[rsp + 8]));

        Assert.Equal(EmulationActionKind.Resume, action.Kind);
        Assert.Equal(0x9FA0u, action.Mxcsr);
        Assert.Equal(Rip + 5, action.Registers.Rip); // 0f ae 54 24 08
        Assert.Null(action.StoreAddress);
    }

    [Fact]
    public void Vex_ldmxcsr_loads_mxcsr_too()
    {
        _regs.Rdi = 0x10010;
        _env.Put(0x10010, 0x80, 0x1F, 0x00, 0x00);

        EmulationAction action = Decide(a => a.vldmxcsr(__dword_ptr[rdi]));

        Assert.Equal(0x1F80u, action.Mxcsr);
    }

    [Fact]
    public void Ldmxcsr_with_reserved_bits_raises_general_protection_without_advancing()
    {
        _regs.Rsp = 0x10F00;
        _env.Put(0x10F00, 0x80, 0x1F, 0x01, 0x00);

        EmulationAction action = Decide(a => a.ldmxcsr(__dword_ptr[rsp]));

        Assert.Equal(EmulationActionKind.InjectException, action.Kind);
        Assert.Equal(VectorGeneralProtection, action.Vector);
        Assert.Equal(0u, action.ErrorCode);
        Assert.Equal(Rip, action.Registers.Rip);
        Assert.Null(action.Mxcsr);
    }

    [Fact]
    public void Stmxcsr_stores_the_current_mxcsr()
    {
        _env.Mxcsr = 0x1FA0;
        _regs.Rax = 0x20000;

        EmulationAction action = Decide(a => a.stmxcsr(__dword_ptr[rax + 4]));

        Assert.Equal(EmulationActionKind.Resume, action.Kind);
        Assert.Equal(0x20004UL, action.StoreAddress);
        Assert.Equal(0x1FA0u, action.StoreValue);
        Assert.Equal(Rip + 4, action.Registers.Rip);
    }

    [Fact]
    public void Xrstor_stops_with_the_instruction_and_the_noxsave_hint()
    {
        EmulationAction action = Decide(a => a.xrstor(__[rsp]));

        Assert.Equal(EmulationActionKind.Stop, action.Kind);
        Assert.Equal($"KVM cannot emulate `xrstor [rsp]` at RIP 0x{Rip:x} (bytes 0fae2c24); boot the guest kernel with `noxsave clearcpuid=154` to avoid it", action.Message);
        Assert.Equal("xrstor", action.Mnemonic);
    }

    [Fact]
    public void Ssse3_instructions_stop_with_the_clearcpuid_hint()
    {
        EmulationAction action = Decide(a => a.pshufb(xmm0, xmm1));

        Assert.Equal(EmulationActionKind.Stop, action.Kind);
        Assert.StartsWith("KVM cannot emulate `pshufb xmm0,xmm1`", action.Message, StringComparison.Ordinal);
        Assert.EndsWith("boot the guest kernel with `clearcpuid=ssse3 cryptomgr.notests` to avoid it", action.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_instruction_without_a_known_workaround_stops_without_a_hint()
    {
        EmulationAction action = Decide(a => a.lzcnt(rax, rbx));

        Assert.Equal(EmulationActionKind.Stop, action.Kind);
        Assert.Equal($"KVM cannot emulate `lzcnt rax,rbx` at RIP 0x{Rip:x} (bytes f3480fbdc3)", action.Message);
    }

    [Fact]
    public void Missing_instruction_bytes_stop_with_a_clear_message()
    {
        EmulationAction action = Decide([]);

        Assert.Equal(EmulationActionKind.Stop, action.Kind);
        Assert.Null(action.Mnemonic);
        Assert.Equal($"KVM could not emulate the instruction at RIP 0x{Rip:x} and did not report its bytes", action.Message);
    }

    [Fact]
    public void Truncated_bytes_stop_and_say_so()
    {
        EmulationAction action = Decide([0xF3, 0x48, 0x0F]);

        Assert.Equal(EmulationActionKind.Stop, action.Kind);
        Assert.Contains("bytes f3480f", action.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", action.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Garbage_bytes_stop_and_say_so()
    {
        EmulationAction action = Decide([0x06, 0x90, 0x90]); // push es: not valid in 64-bit mode

        Assert.Equal(EmulationActionKind.Stop, action.Kind);
        Assert.Equal($"KVM could not emulate the instruction at RIP 0x{Rip:x} (bytes 069090); they are not a valid 64-bit instruction", action.Message);
    }

    [Fact]
    public void Register_helpers_handle_every_width()
    {
        var regs = new KvmRegs { Rax = 0x1122_3344_5566_7788 };
        Assert.Equal(0x77UL, ReadRegister(regs, Register.AH));
        Assert.Equal(0x88UL, ReadRegister(regs, Register.AL));
        Assert.Equal(0x7788UL, ReadRegister(regs, Register.AX));
        Assert.Equal(0x5566_7788UL, ReadRegister(regs, Register.EAX));
        WriteRegister(ref regs, Register.AX, 0xABCD);
        Assert.Equal(0x1122_3344_5566_ABCDUL, regs.Rax);
        WriteRegister(ref regs, Register.EAX, 0xFFFF_FFFF_0000_0001);
        Assert.Equal(1UL, regs.Rax);
    }
}
