using SharpVmm.Memory;
using SharpVmm.Tests.Support;
using SharpVmm.X86;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace SharpVmm.Tests.Kvm;

/// <summary>
/// KVM INTEGRATION TEST (needs /dev/kvm; not runnable on machines without it). A 64-bit ring-0 guest executes the
/// instructions KVM's emulator lacks on a kvm_pvm host: <c>int3</c> through its own IDT, <c>stac</c>/<c>clac</c>, and
/// <c>popcnt</c> with register and memory operands, and reports what it saw on port 0x500. On a kvm_pvm host
/// <see cref="SharpVmm.Exits.EmulationFailureHandler"/> completes each of them, and its counts say so exactly; on
/// hardware virtualization the CPU runs them natively, and the handler must have seen none. The guest's reports are
/// the same either way, and are asserted on both.
/// The guest avoids <c>iretq</c> (KVM's emulator has no protected-mode iret) and needs a host CPU with SMAP and POPCNT
/// when it runs natively.
/// </summary>
[Tier(TestTiers.KvmFast)]
public class EmulationFailureTests
{
    private const ulong Main = 0x100000, BreakpointHandler = 0x101000, InvalidOpcodeHandler = 0x101100, Data = 0x102000;
    private const ulong Idt = 0x3000;
    private const ushort CodeSelector = CpuModeSetup.CodeSelector;
    private const uint Done = 0xD09E, InvalidOpcodeSeen = 0xBAD06;

    [Fact]
    public void Int3_clac_stac_and_popcnt_run_in_a_64_bit_kernel_mode_guest()
    {
        var device = new RecordingDevice();
        using var vm = TestVm.Create(b => b.AddIoDevice(0x500, 4, device));

        byte[] main = GuestCode.Assemble(64, Main, a =>
        {
            var after = a.CreateLabel();
            a.mov(rsp, 0x80000);
            a.xor(r12d, r12d);
            a.mov(dx, 0x500);

            a.int3();
            a.Label(ref after);
            a.lea(r14, __[after]);
            a.mov(eax, r12d);                     // 1: the #BP handler ran once
            a.@out(dx, eax);
            a.xor(eax, eax);
            a.cmp(r13, r14);
            a.sete(al);                            // 1: it was entered with the return address just past the int3
            a.@out(dx, eax);

            a.stac();
            a.pushfq();
            a.pop(rax);
            a.shr(rax, 18);
            a.and(eax, 1);                         // 1: AC set
            a.@out(dx, eax);
            a.clac();
            a.pushfq();
            a.pop(rax);
            a.shr(rax, 18);
            a.and(eax, 1);                         // 0: AC clear
            a.@out(dx, eax);

            a.mov(rbx, 0xF0F0_F0F0_F0F0_F0F0);
            a.popcnt(rax, rbx);                    // 32
            a.@out(dx, eax);
            a.mov(rcx, Data);
            a.popcnt(eax, __dword_ptr[rcx + 4]);   // 8 (the host wrote 0x0F0F there)
            a.@out(dx, eax);
            a.xor(ebx, ebx);
            a.stc();
            a.popcnt(rax, rbx);                    // source 0: ZF set, CF (and OF SF AF PF) cleared
            a.pushfq();
            a.pop(rax);
            a.and(eax, 0x8D5);                     // 0x40
            a.@out(dx, eax);

            a.mov(eax, Done);
            a.@out(dx, eax);
            a.hlt();
        });

        // Entered through an interrupt gate at CPL0 without a stack switch: [rsp] = RIP, [rsp+24] = the old RSP.
        byte[] breakpoint = GuestCode.Assemble(64, BreakpointHandler, a =>
        {
            a.mov(r13, __qword_ptr[rsp]);
            a.mov(rsp, __qword_ptr[rsp + 24]);
            a.inc(r12d);
            a.jmp(r13);
        });

        byte[] invalidOpcode = GuestCode.Assemble(64, InvalidOpcodeHandler, a =>
        {
            a.mov(eax, InvalidOpcodeSeen);
            a.mov(dx, 0x500);
            a.@out(dx, eax);
            a.hlt();
        });

        TestVm.Load(vm, CpuMode.Long64, Main, main);
        vm.Memory.Write(new GuestAddress(BreakpointHandler), breakpoint);
        vm.Memory.Write(new GuestAddress(InvalidOpcodeHandler), invalidOpcode);
        vm.Memory.Write(new GuestAddress(Data + 4), 0x0F0Fu);
        GuestCode.WriteInterruptGate(vm.Memory, Idt, 3, BreakpointHandler);
        GuestCode.WriteInterruptGate(vm.Memory, Idt, 6, InvalidOpcodeHandler);
        GuestCode.LoadIdt(vm.Vcpus[0], Idt, 32);

        VmRunResult result = TestVm.RunToEnd(vm);

        Assert.True(result.Reason == VmStopReason.AllVcpusHalted, $"{result.Summary}\n{result.Report}");
        Assert.Equal([1UL, 1UL, 1UL, 0UL, 32UL, 8UL, 0x40UL, Done], device.Writes.Select(w => w.Value).ToArray());

        // Who ran them: on a kvm_pvm host KVM's emulator fails on each of them, and the handler must have completed
        // every one, no more and no fewer (the guest's reports could not tell the handler from an emulator that had
        // learnt them); with hardware virtualization the CPU runs them and the handler must have seen none.
        string seen = string.Join(", ", vm.EmulationFailures.HandledCounts.Select(kv => $"{kv.Key}={kv.Value}"));
        if (KvmTestEnvironment.IsPvmHost)
        {
            Assert.Equal("clac=1, int3=1, popcnt=3, stac=1", seen);
            Assert.Equal(6, vm.EmulationFailures.HandledTotal);
        }
        else
        {
            Assert.True(vm.EmulationFailures.HandledTotal == 0, $"with hardware virtualization the CPU runs these natively, but the handler completed: {seen}");
        }
    }
}
