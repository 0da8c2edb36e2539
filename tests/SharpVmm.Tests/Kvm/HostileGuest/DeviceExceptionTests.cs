using SharpVmm.Cli;
using SharpVmm.Tests.Support;
using SharpVmm.X86;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace SharpVmm.Tests.Kvm.HostileGuest;

[Tier(TestTiers.KvmFast)]
public class DeviceExceptionTests
{
    private const uint MmioBase = 0xD000_0000;

    [Fact]
    public void A_device_that_throws_on_a_port_write_stops_the_vm_with_a_report_and_the_process_lives()
    {
        using var vm = TestVm.Create(b => b.AddIoDevice(0x600, 4, new ThrowingDevice("port device bug")));
        byte[] code = GuestCode.Assemble(32, 0x100000, a =>
        {
            a.mov(dx, 0x602);
            a.mov(al, 0x42);
            a.@out(dx, al);
            a.hlt();
        });
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, code);

        VmRunResult result = TestVm.RunToEnd(vm);

        Assert.Equal(VmStopReason.DeviceError, result.Reason);
        Assert.Equal(0, result.VcpuId);
        Diagnostics.DeviceFailure failure = Assert.Single(result.DeviceFailures);
        Assert.Contains("ThrowingDevice at 0x600-0x603", failure.Device, StringComparison.Ordinal);
        Assert.Contains("1-byte write at port 0x602", failure.Device, StringComparison.Ordinal);
        Assert.IsType<InvalidOperationException>(failure.Error);
        Assert.Contains("port device bug (write at 0x2)", result.Summary, StringComparison.Ordinal);
        Assert.NotNull(result.Report); // the registers, and the code at RIP
        Assert.Equal(ExitCodes.DeviceBackend, ExitCodes.For(result));
        Assert.Equal(VmState.Stopped, vm.State);
    }

    [Fact]
    public void A_device_that_throws_on_an_mmio_read_stops_the_vm_with_a_report_and_the_process_lives()
    {
        using var vm = TestVm.Create(b => b.AddMmioDevice(MmioBase, 0x1000, new ThrowingDevice("mmio device bug")));
        byte[] code = GuestCode.Assemble(32, 0x100000, a =>
        {
            a.mov(eax, __dword_ptr[MmioBase + 0x10]);
            a.hlt();
        });
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, code);

        VmRunResult result = TestVm.RunToEnd(vm);

        Assert.Equal(VmStopReason.DeviceError, result.Reason);
        Diagnostics.DeviceFailure failure = Assert.Single(result.DeviceFailures);
        Assert.Contains("4-byte read at MMIO address 0xd0000010", failure.Device, StringComparison.Ordinal);
        Assert.Contains("mmio device bug (read at 0x10)", failure.Error.Message, StringComparison.Ordinal);
    }
}
