using SharpVmm.Devices.Legacy;
using SharpVmm.Platform;
using SharpVmm.Tests.Support;
using SharpVmm.X86;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace SharpVmm.Tests.Kvm;

/// <summary>QEMU's pc-testdev driven by a tiny guest, as a kvm-unit-tests guest drives it.</summary>
[Tier(TestTiers.KvmFast)]
public class PcTestDevicesGuestTests
{
    private const uint Window = (uint)PcTestDevices.MemoryWindowAddress;

    [Fact]
    public void A_guest_reads_back_its_data_and_raises_and_lowers_an_isa_line_then_exits_with_the_result()
    {
        using var vm = TestVm.Create(b => b.WithInKernelIrqchip());
        PcTestDevices devices = PcTestDevices.Attach(vm.Devices);
        GsiInterruptLine line5 = vm.Devices.InterruptLine(5);
        vm.Devices.AddIoDevice(DebugExitPort.DefaultPort, DebugExitPort.DefaultSize, new DebugExitPort(vm.Devices.Control.RequestDebugExit));
        byte[] code = GuestCode.Assemble(32, 0x100000, a =>
        {
            var fail = a.CreateLabel();
            a.mov(eax, 0x11223344);
            a.@out((byte)PcTestDevices.DataPort, eax);
            a.mov(al, 0x55);
            a.@out((byte)(PcTestDevices.ByteDataPort + 1), al); // byte 1, through the byte-wide window
            a.mov(__dword_ptr[Window + 0x100], 0xCAFEF00D);
            a.mov(eax, __dword_ptr[Window + 0x100]);
            a.cmp(eax, 0xCAFEF00D);
            a.jne(fail);
            a.mov(dx, PcTestDevices.IrqLinePort + 5);
            a.mov(al, 1);
            a.@out(dx, al);
            a.mov(al, 0);
            a.@out(dx, al);
            a.mov(al, 2);
            a.@out(dx, al);
            a.mov(eax, 0x100123); // the page this code runs from: KVM maps it again, the code stays
            a.@out((byte)PcTestDevices.PageFlushPort, eax);
            a.@in(eax, (byte)PcTestDevices.DataPort);
            a.@out((byte)DebugExitPort.DefaultPort, eax);
            a.hlt();
            a.Label(ref fail);
            a.mov(eax, 0xBAD);
            a.@out((byte)DebugExitPort.DefaultPort, eax);
            a.hlt();
        });
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, code);

        VmRunResult result = TestVm.RunToEnd(vm);

        Assert.Equal(VmStopReason.GuestDebugExit, result.Reason);
        Assert.Equal(DebugExitPort.ToExitStatus(0x11225544), result.GuestExitStatus);
        Assert.Equal(0x11225544u, devices.Data.Value);
        Assert.Equal([0x0D, 0xF0, 0xFE, 0xCA], devices.MemoryWindow.Snapshot(0x100, 4));
        Assert.Equal(2, line5.RisingEdges);
        Assert.Equal(1, devices.PageFlush.FlushCount);
    }
}
