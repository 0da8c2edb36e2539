using SharpVmm.Kvm.Structs;
using SharpVmm.Memory;
using SharpVmm.Tests.Support;
using SharpVmm.X86;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace SharpVmm.Tests.Kvm;

/// <summary>
/// KVM INTEGRATION TEST (needs /dev/kvm). A 64-bit ring-0 guest runs <c>lock cmpxchg8b</c> and <c>lock cmpxchg16b</c>,
/// each with a matching and a differing comparand, and a misaligned <c>cmpxchg16b</c> that must raise #GP(0), and
/// reports what it saw on port 0x500. On a kvm_pvm host KVM's emulator runs <c>cmpxchg8b</c> itself (and faults the
/// misaligned <c>cmpxchg16b</c>) but cannot run an aligned <c>cmpxchg16b</c>, which
/// <see cref="SharpVmm.Exits.EmulationFailureHandler"/> completes; with hardware
/// virtualization the CPU runs both. The reports are the same either way.
/// </summary>
[Tier(TestTiers.KvmFast)]
public class CompareExchangeGuestTests
{
    private const ulong Main = 0x100000, GeneralProtectionHandler = 0x101000, Data = 0x102000, Idt = 0x3000;
    private const uint Done = 0xD09E;

    [Fact]
    public void Cmpxchg8b_and_cmpxchg16b_compare_exchange_and_a_misaligned_cmpxchg16b_raises_general_protection()
    {
        var device = new RecordingDevice();
        using var vm = TestVm.Create(b => b.AddIoDevice(0x500, 4, device));

        byte[] main = GuestCode.Assemble(64, Main, a =>
        {
            void Report(Iced.Intel.AssemblerRegister64 value)
            {
                a.mov(rax, value);
                a.mov(edx, 0x500);
                a.@out(dx, eax);
            }

            var afterFault = a.CreateLabel();
            a.mov(rsp, 0x80000);
            a.mov(rdi, Data);

            // cmpxchg16b, equal: ZF = 1 and memory = RCX:RBX.
            a.mov(eax, 0x1111);
            a.mov(edx, 0x2222);
            a.mov(ebx, 0x3333);
            a.mov(ecx, 0x4444);
            a.@lock.cmpxchg16b(__xmmword_ptr[rdi]);
            a.setz(r8b);
            a.movzx(r8d, r8b);
            Report(r8);                                 // 1
            a.mov(r9, __qword_ptr[rdi]);
            Report(r9);                                 // 0x3333
            a.mov(r9, __qword_ptr[rdi + 8]);
            Report(r9);                                 // 0x4444

            // cmpxchg16b, different: ZF = 0 and RDX:RAX = memory.
            a.xor(eax, eax);
            a.xor(edx, edx);
            a.mov(ebx, 5);
            a.mov(ecx, 6);
            a.stc();
            a.@lock.cmpxchg16b(__xmmword_ptr[rdi]);
            a.setz(r8b);
            a.setc(r10b);                               // CF untouched by cmpxchg16b
            a.movzx(r8d, r8b);
            a.movzx(r10d, r10b);
            a.mov(r9, rax);
            a.mov(r11, rdx);
            Report(r8);                                 // 0
            Report(r10);                                // 1
            Report(r9);                                 // 0x3333
            Report(r11);                                // 0x4444

            // cmpxchg8b, equal then different, on the next 8 bytes (0x5555:0x7777 there).
            a.mov(eax, 0x7777);
            a.mov(edx, 0x5555);
            a.mov(ebx, 0x9999);
            a.mov(ecx, 0xAAAA);
            a.@lock.cmpxchg8b(__qword_ptr[rdi + 16]);
            a.setz(r8b);
            a.movzx(r8d, r8b);
            Report(r8);                                 // 1
            a.mov(r9d, __dword_ptr[rdi + 16]);
            Report(r9);                                 // 0x9999
            a.mov(r9d, __dword_ptr[rdi + 20]);
            Report(r9);                                 // 0xAAAA
            a.xor(eax, eax);
            a.xor(edx, edx);
            a.@lock.cmpxchg8b(__qword_ptr[rdi + 16]);
            a.setz(r8b);
            a.movzx(r8d, r8b);
            a.mov(r9, rax);
            a.mov(r11, rdx);
            Report(r8);                                 // 0
            Report(r9);                                 // 0x9999
            Report(r11);                                // 0xAAAA

            // Misaligned cmpxchg16b: #GP(0) with RIP at the instruction; the handler skips its 6 bytes.
            a.mov(r13, 0xFFFF);
            a.@lock.cmpxchg16b(__xmmword_ptr[rdi + 8]); // f0 48 0f c7 4f 08
            a.Label(ref afterFault);
            a.lea(r9, __[afterFault]);
            a.xor(r8d, r8d);
            a.cmp(r14, r9);
            a.sete(r8b);
            Report(r13);                                // 0: the error code
            Report(r8);                                 // 1: the handler was entered at the faulting instruction
            a.mov(r9, __qword_ptr[rdi + 8]);
            Report(r9);                                 // 0x4444: memory untouched

            a.mov(eax, Done);
            a.mov(edx, 0x500);
            a.@out(dx, eax);
            a.hlt();
        });

        // Entered through an interrupt gate at CPL0 without a stack switch: [rsp] = error code, [rsp+8] = RIP,
        // [rsp+32] = the old RSP.
        byte[] generalProtection = GuestCode.Assemble(64, GeneralProtectionHandler, a =>
        {
            a.mov(r13, __qword_ptr[rsp]);
            a.mov(r14, __qword_ptr[rsp + 8]);
            a.mov(rsp, __qword_ptr[rsp + 32]);
            a.add(r14, 6);
            a.jmp(r14);
        });

        TestVm.Load(vm, CpuMode.Long64, Main, main);
        vm.Memory.Write(new GuestAddress(GeneralProtectionHandler), generalProtection);
        vm.Memory.Write(new GuestAddress(Data), new UInt128(0x2222, 0x1111));
        vm.Memory.Write(new GuestAddress(Data + 16), 0x0000_5555_0000_7777UL);
        WriteGate(vm.Memory, 13, GeneralProtectionHandler);
        KvmSregs sregs = vm.Vcpus[0].Kvm.GetSregs();
        sregs.Idt = new KvmDtable { Base = Idt, Limit = 16 * 32 - 1 };
        vm.Vcpus[0].Kvm.SetSregs(sregs);

        VmRunResult result = TestVm.RunToEnd(vm);

        Assert.True(result.IsSuccess, $"{result.Summary}\n{result.Report}");
        ulong[] expected = [1, 0x3333, 0x4444, 0, 1, 0x3333, 0x4444, 1, 0x9999, 0xAAAA, 0, 0x9999, 0xAAAA, 0, 1, 0x4444, Done];
        Assert.Equal(expected, device.Writes.Select(w => w.Value).ToArray());

        // Under kvm_pvm the handler completed the two aligned cmpxchg16b (KVM's emulator checks the alignment itself
        // and raises the #GP for the third); with hardware virtualization it saw nothing.
        IReadOnlyDictionary<string, long> handled = vm.EmulationFailures.HandledCounts;
        Assert.All(handled.Keys, m => Assert.Equal("cmpxchg16b", m));
        if (KvmTestEnvironment.IsPvmHost)
        {
            Assert.Equal(2, handled["cmpxchg16b"]);
        }
    }

    private static void WriteGate(GuestMemory memory, int vector, ulong handler)
    {
        // 64-bit interrupt gate: present, DPL 0, type 0xE, IST 0.
        ulong low = (handler & 0xFFFF) | ((ulong)CpuModeSetup.CodeSelector << 16) | (0x8EUL << 40) | (((handler >> 16) & 0xFFFF) << 48);
        memory.Write(new GuestAddress(Idt + (ulong)vector * 16), low);
        memory.Write(new GuestAddress(Idt + (ulong)vector * 16 + 8), handler >> 32);
    }
}
