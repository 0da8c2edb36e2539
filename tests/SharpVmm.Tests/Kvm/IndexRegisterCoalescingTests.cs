using SharpVmm.Devices.Bus;
using SharpVmm.Devices.Legacy;
using SharpVmm.Platform;
using SharpVmm.Tests.Support;
using SharpVmm.X86;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace SharpVmm.Tests.Kvm;

[Tier(TestTiers.KvmFast)]
public class IndexRegisterCoalescingTests
{
    private const ushort ReportPort = 0x80;
    private const ushort IndexedPort = 0xCF8;

    [Fact]
    public void Cmos_registers_written_and_read_back_through_a_coalesced_index_are_right_and_each_index_write_is_queued()
    {
        var rtc = new CmosRtc(TimeProvider.System);
        var report = new RecordingDevice();
        using var vm = TestVm.Create(b => b.AddIoDevice(PcPlatform.RtcPort, CmosRtc.PortCount, rtc).AddIoDevice(ReportPort, 1, report));
        byte[] code = GuestCode.Assemble(32, 0x100000, a =>
        {
            foreach ((byte register, byte value) in new (byte, byte)[] { (0x20, 0x5A), (0x21, 0xA5) })
            {
                a.mov(al, register);
                a.@out((byte)0x70, al); // queued
                a.mov(al, value);
                a.@out((byte)0x71, al); // exits, after the index has reached the RTC
            }

            foreach (byte register in new byte[] { 0x21, 0x20, 0x21 })
            {
                a.mov(al, register);
                a.@out((byte)0x70, al);
                a.@in(al, (byte)0x71);
                a.@out((byte)ReportPort, al);
            }

            a.hlt();
        });
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, code);
        Assert.True(IndexRegisterCoalescing.Attach(vm, PcPlatform.RtcPort, 1, PcPlatform.RtcPort, CmosRtc.PortCount), "KVM has no coalesced port I/O");

        Assert.Equal(VmStopReason.AllVcpusHalted, TestVm.RunToEnd(vm).Reason);

        Assert.Equal([0xA5UL, 0x5AUL, 0xA5UL], report.Writes.Select(w => w.Value));
        Assert.Equal(5, vm.CoalescedWriteCount);
    }

    [Fact]
    public void A_dword_index_reaches_its_device_before_the_data_port_is_read_but_not_before_another_devices_port()
    {
        const int Reads = 50;
        var device = new IndexedRegisters();
        var seenByOther = new System.Collections.Concurrent.ConcurrentQueue<uint>();
        var other = new RecordingDevice((_, _) =>
        {
            seenByOther.Enqueue(device.Index);
            return 0UL;
        });
        using var vm = TestVm.Create(b => b.AddIoDevice(IndexedPort, 8, device).AddIoDevice(ReportPort, 4, other));
        byte[] code = GuestCode.Assemble(32, 0x100000, a =>
        {
            for (uint i = 1; i <= Reads; i++)
            {
                a.mov(dx, IndexedPort);
                a.mov(eax, 0x8000_0000u | (i << 2));
                a.@out(dx, eax); // queued
                a.@in(al, (byte)ReportPort); // another device: it cannot tell whether the index reached its own
                a.mov(dx, IndexedPort + 4);
                a.@in(eax, dx); // the data port: the index arrives first
                a.@out((byte)ReportPort, eax);
            }

            a.hlt();
        });
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, code);
        Assert.True(IndexRegisterCoalescing.Attach(vm, IndexedPort, 4, IndexedPort, 8), "KVM has no coalesced port I/O");

        Assert.Equal(VmStopReason.AllVcpusHalted, TestVm.RunToEnd(vm).Reason);

        Assert.Equal(Enumerable.Range(1, Reads).Select(i => (0x8000_0000UL | ((ulong)i << 2)) + 1), other.Writes.Select(w => w.Value));
        Assert.Equal(Reads, vm.CoalescedWriteCount);
        uint[] seen = [.. seenByOther];
        int waiting = Enumerable.Range(1, Reads).Count(i => seen[i - 1] == (i == 1 ? 0 : 0x8000_0000u | ((uint)(i - 1) << 2)));
        Assert.True(waiting >= Reads / 2, $"{waiting} of {Reads} reads of another device came before the index reached its own: {string.Join(' ', seen)}");
    }

    [Fact]
    public void An_index_register_outside_its_devices_ports_is_refused()
    {
        using var vm = TestVm.Create();

        Assert.Throws<ArgumentOutOfRangeException>(() => IndexRegisterCoalescing.Attach(vm, 0xCF8, 4, 0xCFC, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => IndexRegisterCoalescing.Attach(vm, 0xCFE, 4, 0xCF8, 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => IndexRegisterCoalescing.Attach(vm, 0x70, 0, 0x70, 2));
    }

    // An index dword at offset 0 and a data dword at offset 4 that reads the index plus one.
    private sealed class IndexedRegisters : IBusDevice
    {
        public uint Index { get; private set; }

        public void Read(ulong offset, Span<byte> data)
        {
            uint value = offset == 4 ? Index + 1 : offset == 0 ? Index : uint.MaxValue;
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = (byte)(value >> (8 * i));
            }
        }

        public void Write(ulong offset, ReadOnlySpan<byte> data)
        {
            if (offset == 0 && data.Length == 4)
            {
                Index = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(data);
            }
        }
    }
}
