using System.Runtime.InteropServices;
using SharpVmm.Devices.Bus;
using SharpVmm.Exits;
using SharpVmm.Kvm;
using SharpVmm.Kvm.Structs;
using SharpVmm.Memory;
using SharpVmm.Tests.Support;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace SharpVmm.Tests.Unit;

/// <summary>Applying emulation decisions to a (fake) vCPU, and the dispatcher's routing of emulation failures.</summary>
[Tier(TestTiers.Unit)]
public sealed class EmulationFailureHandlerTests : IDisposable
{
    private const ulong Code = 0x4000;

    private readonly GuestMemory _memory = GuestMemory.CreateFlat(1 << 20);
    private readonly FakeVcpuState _vcpu = new();
    private readonly EmulationFailureHandler _handler;
    private readonly byte[] _area = new byte[2 * 4096];

    public EmulationFailureHandlerTests()
    {
        _handler = new EmulationFailureHandler(_memory);
        _vcpu.Sregs = new KvmSregs { Cr0 = 0x8000_0011, Efer = 0x500 };
        _vcpu.Sregs.Cs.L = 1;
        _vcpu.Regs.Rip = Code;
        _vcpu.Regs.Rflags = 0x2;
        _vcpu.Fpu.Mxcsr = 0x1F80;
    }

    public void Dispose() => _memory.Dispose();

    private ref KvmRun Run => ref MemoryMarshal.AsRef<KvmRun>(_area.AsSpan());

    private static byte[] Assemble(Action<Iced.Intel.Assembler> code) => GuestCode.Assemble(64, Code, code);

    // KVM without KVM_CAP_EXIT_ON_EMULATION_FAILURE queues #UD for the failed instruction before exiting.
    private void QueueKvmUd()
    {
        _vcpu.Events.ExceptionPending = 1;
        _vcpu.Events.ExceptionInjected = 1;
        _vcpu.Events.ExceptionNr = 6;
    }

    private void SetEmulationFailure(ReadOnlySpan<byte> bytes)
    {
        Run.ExitReason = (uint)KvmExitReason.InternalError;
        Run.EmulationFailure.Suberror = VcpuExit.InternalErrorEmulation;
        Run.EmulationFailure.Ndata = bytes.IsEmpty ? 0u : 3u;
        Run.EmulationFailure.Flags = bytes.IsEmpty ? 0 : VcpuExit.EmulationFlagInstructionBytes;
        Run.EmulationFailure.InsnSize = (byte)bytes.Length;
        bytes.CopyTo(_area.AsSpan(VcpuExit.EmulationInstructionBytesOffset));
    }

    private ExitOutcome Dispatch(IKvmVcpuState? vcpu) =>
        new ExitDispatcher(new IoBus(), new MmioBus(), null, _handler).Dispatch(0, new VcpuExit(_area), vcpu);

    [Fact]
    public void Int3_sets_rip_past_it_and_injects_breakpoint_replacing_the_queued_ud()
    {
        QueueKvmUd();

        EmulationAction action = _handler.Handle(_vcpu, [0xCC]);

        Assert.Equal(EmulationActionKind.InjectException, action.Kind);
        Assert.Equal(Code + 1, _vcpu.Regs.Rip);
        Assert.Equal(1, _vcpu.Events.ExceptionInjected);
        Assert.Equal(0, _vcpu.Events.ExceptionPending);
        Assert.Equal(3, _vcpu.Events.ExceptionNr);
        Assert.Equal(0, _vcpu.Events.ExceptionHasErrorCode);
        Assert.Equal(["SetRegs", "SetVcpuEvents"], _vcpu.Calls);
        Assert.Equal(1, _handler.HandledCounts["int3"]);
    }

    [Fact]
    public void Clac_drops_the_ud_kvm_queued()
    {
        QueueKvmUd();
        _vcpu.Regs.Rflags = 0x2 | InstructionEmulator.RflagsAc;

        EmulationAction action = _handler.Handle(_vcpu, [0x0F, 0x01, 0xCA]);

        Assert.Equal(EmulationActionKind.Resume, action.Kind);
        Assert.Equal(0x2UL, _vcpu.Regs.Rflags);
        Assert.Equal(Code + 3, _vcpu.Regs.Rip);
        Assert.Equal(0, _vcpu.Events.ExceptionInjected);
        Assert.Equal(0, _vcpu.Events.ExceptionPending);
    }

    [Fact]
    public void Without_a_queued_exception_the_events_are_left_alone()
    {
        _handler.Handle(_vcpu, [0x9B]);

        Assert.Equal(["SetRegs"], _vcpu.Calls);
        Assert.Equal(Code + 1, _vcpu.Regs.Rip);
    }

    [Fact]
    public void Popcnt_reads_its_operand_through_translate_and_guest_memory()
    {
        // The guest maps linear 0xFFFF_8000_0000_2000 at physical 0x9000.
        _vcpu.Translation = linear => linear >> 12 == 0xFFFF_8000_0000_2 ? 0x9000 + (linear & 0xFFF) : null;
        _memory.Write(new GuestAddress(0x9010), 0xFFFF_0000_0000_0001UL);
        _vcpu.Regs.Rsi = 0xFFFF_8000_0000_2010;

        EmulationAction action = _handler.Handle(_vcpu, Assemble(a => a.popcnt(rdx, __qword_ptr[rsi])));

        Assert.Equal(EmulationActionKind.Resume, action.Kind);
        Assert.Equal(17UL, _vcpu.Regs.Rdx);
    }

    [Fact]
    public void Cmpxchg16b_exchanges_guest_memory_through_translate()
    {
        // The guest maps linear 0xFFFF_8000_0000_2000 at physical 0x9000; RDX:RAX matches, so RCX:RBX is stored.
        _vcpu.Translation = linear => linear >> 12 == 0xFFFF_8000_0000_2 ? 0x9000 + (linear & 0xFFF) : null;
        _memory.Write(new GuestAddress(0x9020), new UInt128(0xA2, 0xA1));
        _vcpu.Regs.Rbp = 0xFFFF_8000_0000_2000;
        (_vcpu.Regs.Rdx, _vcpu.Regs.Rax, _vcpu.Regs.Rcx, _vcpu.Regs.Rbx) = (0xA2, 0xA1, 0xC2, 0xC1);
        QueueKvmUd();

        EmulationAction action = _handler.Handle(_vcpu, [0xF0, 0x48, 0x0F, 0xC7, 0x4D, 0x20]); // lock cmpxchg16b [rbp+0x20]

        Assert.Equal(EmulationActionKind.Resume, action.Kind);
        Assert.Equal(new UInt128(0xC2, 0xC1), _memory.Read<UInt128>(new GuestAddress(0x9020)));
        Assert.Equal(0x2 | InstructionEmulator.RflagsZf, _vcpu.Regs.Rflags);
        Assert.Equal(Code + 6, _vcpu.Regs.Rip);
        Assert.Equal(0, _vcpu.Events.ExceptionPending);
        Assert.Equal(1, _handler.HandledCounts["cmpxchg16b"]);
    }

    [Fact]
    public void The_summary_counts_what_was_handled_most_frequent_first()
    {
        Assert.Null(_handler.Summary());

        _handler.Handle(_vcpu, [0x9B]);
        Assert.Equal("completed 1 instruction KVM could not emulate: wait 1", _handler.Summary());

        _handler.Handle(_vcpu, [0xCC]);
        _handler.Handle(_vcpu, [0x9B]);
        Assert.Equal("completed 3 instructions KVM could not emulate: wait 2, int3 1", _handler.Summary());
    }

    [Fact]
    public void An_operand_that_straddles_a_page_is_read_from_both_pages()
    {
        // Linear pages 0x10000 and 0x11000 map to physical 0x30000 and 0x20000 (not contiguous).
        _vcpu.Translation = linear => (linear & ~0xFFFUL) switch
        {
            0x10000 => 0x30000 + (linear & 0xFFF),
            0x11000 => 0x20000 + (linear & 0xFFF),
            _ => null,
        };
        _memory.Write(new GuestAddress(0x30FFE), (ushort)0xFFFF);
        _memory.Write(new GuestAddress(0x20000), (ushort)0x0101);
        _vcpu.Regs.Rbx = 0x10FFE;

        _handler.Handle(_vcpu, Assemble(a => a.popcnt(eax, __dword_ptr[rbx])));

        Assert.Equal(18UL, _vcpu.Regs.Rax);
    }

    [Fact]
    public void Missing_bytes_are_fetched_from_guest_memory_at_rip()
    {
        _memory.Write(new GuestAddress(Code), Assemble(a => a.popcnt(rax, rcx)));
        _vcpu.Regs.Rcx = 0x7;

        EmulationAction action = _handler.Handle(_vcpu, []);

        Assert.Equal(EmulationActionKind.Resume, action.Kind);
        Assert.Equal(3UL, _vcpu.Regs.Rax);
        Assert.Equal(Code + 5, _vcpu.Regs.Rip);
    }

    [Fact]
    public void Ldmxcsr_sets_mxcsr_through_the_fpu_state()
    {
        _memory.Write(new GuestAddress(0x8000), 0x9FC0u);
        _vcpu.Regs.Rsp = 0x8000;

        _handler.Handle(_vcpu, Assemble(a => a.ldmxcsr(__dword_ptr[rsp])));

        Assert.Equal(0x9FC0u, _vcpu.Fpu.Mxcsr);
        Assert.Equal(["SetFpu", "SetRegs"], _vcpu.Calls);
    }

    [Fact]
    public void Stmxcsr_writes_mxcsr_to_guest_memory()
    {
        _vcpu.Fpu.Mxcsr = 0x1FA0;
        _vcpu.Regs.Rdi = 0x8100;

        _handler.Handle(_vcpu, Assemble(a => a.stmxcsr(__dword_ptr[rdi])));

        Assert.Equal(0x1FA0u, _memory.Read<uint>(new GuestAddress(0x8100)));
    }

    [Fact]
    public void A_stop_changes_nothing_and_is_not_counted()
    {
        QueueKvmUd();

        EmulationAction action = _handler.Handle(_vcpu, Assemble(a => a.xrstor(__[rsp])));

        Assert.Equal(EmulationActionKind.Stop, action.Kind);
        Assert.Empty(_vcpu.Calls);
        Assert.Equal(Code, _vcpu.Regs.Rip);
        Assert.Equal(0L, _handler.HandledTotal);
    }

    [Fact]
    public void Handled_instructions_are_counted_per_mnemonic()
    {
        _handler.Handle(_vcpu, [0xCC]);
        _vcpu.Events = default;
        _handler.Handle(_vcpu, [0xCC]);
        _handler.Handle(_vcpu, [0x0F, 0x01, 0xCB]);

        Assert.Equal(new Dictionary<string, long> { ["int3"] = 2, ["stac"] = 1 }, _handler.HandledCounts);
        Assert.Equal(3L, _handler.HandledTotal);
    }

    [Fact]
    public void The_dispatcher_sends_emulation_failures_to_the_handler_and_continues()
    {
        SetEmulationFailure([0x0F, 0x01, 0xCB, 0x90, 0x90]);

        ExitOutcome outcome = Dispatch(_vcpu);

        Assert.Equal(ExitDisposition.Continue, outcome.Disposition);
        Assert.Equal(Code + 3, _vcpu.Regs.Rip);
        Assert.Equal(1, _handler.HandledCounts["stac"]);
    }

    [Fact]
    public void The_dispatcher_stops_with_the_handlers_explanation_when_it_cannot_help()
    {
        SetEmulationFailure(Assemble(a => a.xrstor(__[rsp])));

        ExitOutcome outcome = Dispatch(_vcpu);

        Assert.Equal(ExitDisposition.Fatal, outcome.Disposition);
        Assert.Equal(VmStopReason.InternalError, outcome.StopReason);
        Assert.Equal("KVM_EXIT_INTERNAL_ERROR: suberror = 0x1 (KVM could not emulate an instruction), instruction bytes: 0fae2c24: "
            + "KVM cannot emulate `xrstor [rsp]` at RIP 0x4000 (bytes 0fae2c24); boot the guest kernel with `noxsave clearcpuid=154` to avoid it", outcome.Detail);
    }

    [Fact]
    public void Without_a_vcpu_the_dispatcher_reports_as_before()
    {
        SetEmulationFailure([0xCC]);

        ExitOutcome outcome = Dispatch(null);

        Assert.Equal(ExitDisposition.Fatal, outcome.Disposition);
        Assert.Equal("KVM_EXIT_INTERNAL_ERROR: suberror = 0x1 (KVM could not emulate an instruction), instruction bytes: cc", outcome.Detail);
    }

    [Fact]
    public void Other_internal_errors_are_not_sent_to_the_handler()
    {
        Run.ExitReason = (uint)KvmExitReason.InternalError;
        Run.Internal.Suberror = 3;

        ExitOutcome outcome = Dispatch(_vcpu);

        Assert.Equal(ExitDisposition.Fatal, outcome.Disposition);
        Assert.Empty(_vcpu.Calls);
    }

    [Fact]
    public void The_exit_view_decodes_the_emulation_failure_fields()
    {
        SetEmulationFailure([0x0F, 0x01, 0xCA]);
        var exit = new VcpuExit(_area);

        Assert.True(exit.IsEmulationFailure);
        Assert.Equal(3u, exit.InternalNdata);
        Assert.Equal(VcpuExit.EmulationFlagInstructionBytes, exit.EmulationFailureFlags);
        Assert.Equal([0x0F, 0x01, 0xCA], exit.EmulationFailureInstruction.ToArray());

        Run.EmulationFailure.Flags = 0; // bytes not valid
        Assert.True(new VcpuExit(_area).EmulationFailureInstruction.IsEmpty);

        Run.EmulationFailure.Flags = 1;
        Run.EmulationFailure.InsnSize = 200; // impossible size: clamped to the 15-byte field
        Assert.Equal(15, new VcpuExit(_area).EmulationFailureInstruction.Length);
    }
}
