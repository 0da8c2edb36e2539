using SharpVmm.Tests.Support;
using SharpVmm.X86;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace SharpVmm.Tests.Kvm;

/// <summary>Each CPU-mode helper really puts the vCPU in that mode: the guest proves it with mode-specific code.</summary>
[Tier(TestTiers.KvmFast)]
public class CpuModeTests
{
    private const ushort Port = 0x500;

    [Fact]
    public void Real_mode_runs_16_bit_code_with_segment_bases()
    {
        var device = new RecordingDevice();
        using var vm = TestVm.Create(b => b.AddIoDevice(Port, 4, device));
        // At 0x2000:0x0010 (linear 0x20010): read a word through DS (base 0x20000) and write it out.
        byte[] code = GuestCode.Assemble(16, 0x10, a =>
        {
            a.mov(ax, __word_ptr[0x0]);
            a.mov(dx, Port);
            a.@out(dx, ax);
            a.hlt();
        });
        vm.Memory.Write(new Memory.GuestAddress(0x20000), [0x34, 0x12]);
        vm.Memory.Write(new Memory.GuestAddress(0x20010), code);
        CpuModeSetup.EnterRealMode(vm.Vcpus[0].Kvm, 0x2000, 0x10);

        VmRunResult result = TestVm.RunToEnd(vm);

        Assert.Equal(VmStopReason.AllVcpusHalted, result.Reason);
        var write = Assert.Single(device.Writes);
        Assert.Equal((2, 0x1234UL), (write.Data.Length, write.Value));
    }

    [Fact]
    public void Protected_mode_runs_32_bit_code_with_paging_off()
    {
        var device = new RecordingDevice();
        using var vm = TestVm.Create(b => b.AddIoDevice(Port, 4, device));
        byte[] code = GuestCode.Assemble(32, 0x100000, a =>
        {
            a.mov(eax, cr0);
            a.mov(dx, Port);
            a.@out(dx, eax);
            a.mov(eax, 0xDEADBEEF); // a 32-bit immediate only decodes this way with a 32-bit CS
            a.@out(dx, eax);
            a.hlt();
        });
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, code);

        VmRunResult result = TestVm.RunToEnd(vm);

        Assert.Equal(VmStopReason.AllVcpusHalted, result.Reason);
        var writes = device.Writes.ToArray();
        Assert.Equal(2, writes.Length);
        Assert.Equal(1UL, writes[0].Value & 1);             // CR0.PE
        Assert.Equal(0UL, writes[0].Value & 0x8000_0000);   // CR0.PG off
        Assert.Equal(0xDEADBEEFUL, writes[1].Value);
    }

    [Fact]
    public void Long_mode_runs_64_bit_code_through_identity_mapped_pages()
    {
        var device = new RecordingDevice();
        using var vm = TestVm.Create(b => b.AddIoDevice(Port, 4, device), memory: 8 << 20);
        byte[] code = GuestCode.Assemble(64, 0x200000, a =>
        {
            a.mov(rax, 0x1122334455667788);
            a.mov(rbx, 0x600000);           // an address in the third 2 MiB page
            a.mov(__qword_ptr[rbx], rax);
            a.mov(rcx, __qword_ptr[rbx]);
            a.shr(rcx, 32);                  // only a 64-bit register has an upper half to shift down
            a.mov(eax, ecx);
            a.mov(dx, Port);
            a.@out(dx, eax);
            a.hlt();
        });
        TestVm.Load(vm, CpuMode.Long64, 0x200000, code);

        VmRunResult result = TestVm.RunToEnd(vm);

        Assert.Equal(VmStopReason.AllVcpusHalted, result.Reason);
        Assert.Equal(0x11223344UL, Assert.Single(device.Writes).Value);
        Assert.Equal(0x1122334455667788UL, vm.Memory.Read<ulong>(new Memory.GuestAddress(0x600000)));
        var sregs = vm.Vcpus[0].Kvm.GetSregs();
        Assert.NotEqual(0UL, sregs.Efer & (1 << 10)); // EFER.LMA
    }
}
