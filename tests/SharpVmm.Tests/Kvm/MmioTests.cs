using SharpVmm.Tests.Support;
using SharpVmm.X86;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace SharpVmm.Tests.Kvm;

[Tier(TestTiers.KvmFast)]
public class MmioTests
{
    private const uint MmioBase = 0xD000_0000;

    [Fact]
    public void Mmio_reads_and_writes_reach_the_device_at_offsets()
    {
        var device = new RecordingDevice((offset, _) => 0x5A5A0000 + offset);
        var port = new RecordingDevice();
        using var vm = TestVm.Create(b => b.AddMmioDevice(MmioBase, 0x1000, device).AddIoDevice(0x500, 4, port));
        byte[] code = GuestCode.Assemble(32, 0x100000, a =>
        {
            a.mov(__dword_ptr[MmioBase + 0x10], 0x12345678);
            a.mov(__word_ptr[MmioBase + 0x20], 0xBEEF);
            a.mov(__byte_ptr[MmioBase + 0x30], 0x7F);
            a.mov(eax, __dword_ptr[MmioBase + 0x40]);
            a.mov(dx, 0x500);
            a.@out(dx, eax);
            a.mov(eax, __dword_ptr[MmioBase + 0x2000]); // unclaimed: reads as all ones
            a.@out(dx, eax);
            a.hlt();
        });
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, code);

        Assert.Equal(VmStopReason.AllVcpusHalted, TestVm.RunToEnd(vm).Reason);

        Assert.Equal(
            [(0x10UL, true, 4, 0x12345678UL), (0x20UL, true, 2, 0xBEEFUL), (0x30UL, true, 1, 0x7FUL), (0x40UL, false, 4, 0x5A5A0040UL)],
            device.Accesses.Select(x => (x.Offset, x.IsWrite, x.Data.Length, x.Value)).ToArray());
        Assert.Equal([0x5A5A0040UL, 0xFFFFFFFFUL], port.Writes.Select(w => w.Value).ToArray());
        Assert.Equal(1, vm.MmioBus.UnclaimedReads);
    }

    [Fact]
    public void Mmio_device_inside_ram_is_refused_at_build_time()
    {
        KvmTestEnvironment.RequireKvm();
        var builder = new VirtualMachineBuilder().WithMemory(1 << 20).AddMmioDevice(0x8000, 0x1000, new RecordingDevice());

        Assert.Throws<Devices.Bus.BusConflictException>(() => builder.Build());
    }
}
