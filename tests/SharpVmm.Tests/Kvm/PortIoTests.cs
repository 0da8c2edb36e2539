using SharpVmm.Memory;
using SharpVmm.Tests.Support;
using SharpVmm.X86;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace SharpVmm.Tests.Kvm;

[Tier(TestTiers.KvmFast)]
public class PortIoTests
{
    [Fact]
    public void Port_io_of_every_size_works_in_both_directions()
    {
        // Reads return a value that encodes the access size, so the guest's echo shows what it received.
        var device = new RecordingDevice((offset, size) => size switch { 1 => 0xA1, 2 => 0xB2B2, _ => 0xC4C4C4C4 });
        using var vm = TestVm.Create(b => b.AddIoDevice(0x600, 4, device).AddIoDevice(0x04, 2, device));
        byte[] code = GuestCode.Assemble(32, 0x100000, a =>
        {
            a.mov(dx, 0x600);
            a.@in(al, dx);
            a.mov(dx, 0x601);
            a.@out(dx, al);
            a.mov(dx, 0x602);
            a.@in(ax, dx);
            a.mov(dx, 0x603);
            a.@out(dx, ax);
            a.@in(eax, (byte)0x04);
            a.@out((byte)0x05, eax);
            a.hlt();
        });
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, code);

        Assert.Equal(VmStopReason.AllVcpusHalted, TestVm.RunToEnd(vm).Reason);

        var accesses = device.Accesses.Select(x => (x.Offset, x.IsWrite, x.Data.Length, x.Value)).ToArray();
        Assert.Equal(
        [
            (0UL, false, 1, 0xA1UL), (1UL, true, 1, 0xA1UL),
            (2UL, false, 2, 0xB2B2UL), (3UL, true, 2, 0xB2B2UL),
            (0UL, false, 4, 0xC4C4C4C4UL), (1UL, true, 4, 0xC4C4C4C4UL), // the imm8 port forms, at ports 4 and 5
        ], accesses);
    }

    [Fact]
    public void String_io_moves_every_element_in_order()
    {
        int next = 0;
        var output = new RecordingDevice();
        var input = new RecordingDevice((_, _) => (ulong)(0x4100 + next++));
        using var vm = TestVm.Create(b => b.AddIoDevice(0x700, 1, output).AddIoDevice(0x702, 2, input));
        vm.Memory.Write(new GuestAddress(0x3000), "hello"u8);
        byte[] code = GuestCode.Assemble(32, 0x100000, a =>
        {
            a.cld();
            a.mov(esi, 0x3000);
            a.mov(ecx, 5);
            a.mov(dx, 0x700);
            a.rep.outsb();
            a.mov(edi, 0x4000);
            a.mov(ecx, 3);
            a.mov(dx, 0x702);
            a.rep.insw();
            a.hlt();
        });
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, code);

        Assert.Equal(VmStopReason.AllVcpusHalted, TestVm.RunToEnd(vm).Reason);

        Assert.Equal("hello"u8.ToArray(), output.Writes.Select(w => w.Data.Single()).ToArray());
        Assert.Equal([0x00, 0x41, 0x01, 0x41, 0x02, 0x41], vm.Memory.GetSpan(new GuestAddress(0x4000), 6).ToArray());
    }

    [Fact]
    public void Unclaimed_ports_read_all_ones_and_writes_are_counted()
    {
        var sink = new RecordingDevice();
        using var vm = TestVm.Create(b => b.AddIoDevice(0x500, 4, sink));
        byte[] code = GuestCode.Assemble(32, 0x100000, a =>
        {
            a.mov(dx, 0x1234);
            a.@in(eax, dx);
            a.@out(dx, eax);
            a.@out(dx, eax);
            a.mov(dx, 0x500);
            a.@out(dx, eax);
            a.hlt();
        });
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, code);

        Assert.Equal(VmStopReason.AllVcpusHalted, TestVm.RunToEnd(vm).Reason);

        Assert.Equal(0xFFFFFFFFUL, Assert.Single(sink.Writes).Value);
        Assert.Equal(2, vm.IoBus.UnclaimedWrites);
        Assert.Equal(1, vm.IoBus.UnclaimedReads);
    }
}
