using System.Collections.Concurrent;
using SharpVmm.Exits;
using SharpVmm.Tests.Support;
using SharpVmm.X86;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace SharpVmm.Tests.Kvm;

[Tier(TestTiers.KvmFast)]
public class PublishedRegisterTests
{
    private const ushort DevicePort = 0x500, StatusPort = DevicePort + 5, EchoPort = 0x510;
    private const int Reads = 100;

    [Fact]
    public void A_guest_reads_a_published_register_without_a_call_into_its_device_and_a_wider_read_still_reaches_it()
    {
        var device = new PublishingDevice();
        var echo = new RecordingDevice();
        device.Status.Publish(0x60);
        using var vm = TestVm.Create(b => b.AddIoDevice(DevicePort, 8, device).AddIoDevice(EchoPort, 2, echo));
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, StatusPollingGuest());

        Assert.Equal(VmStopReason.AllVcpusHalted, TestVm.RunToEnd(vm).Reason);

        // Each one-byte read saw the published value; only the two-byte read reached the device.
        Assert.Equal([.. Enumerable.Repeat(0x60UL, Reads), 0xD5D5UL], echo.Writes.Select(w => w.Value));
        Assert.Equal(1, device.Reads);
        Assert.Equal(Reads + 1 + Reads + 1 + 1, vm.ExitCount); // the reads, the echoes and the HLT
    }

    [Fact]
    public void A_guest_writing_a_published_registers_own_value_back_reaches_no_device_and_a_change_still_does()
    {
        var device = new PublishingDevice();
        device.Control.Publish(0x05);
        using var vm = TestVm.Create(b => b.AddIoDevice(DevicePort, 8, device));
        byte[] code = GuestCode.Assemble(32, 0x100000, a =>
        {
            var next = a.CreateLabel();
            a.xor(ecx, ecx);
            a.mov(dx, DevicePort + 1);
            a.mov(al, 0x05);
            a.Label(ref next);
            a.@out(dx, al); // the value it holds: nothing to do
            a.inc(ecx);
            a.cmp(ecx, Reads);
            a.jne(next);
            a.mov(al, 0x07);
            a.@out(dx, al); // a change
            a.hlt();
        });
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, code);

        Assert.Equal(VmStopReason.AllVcpusHalted, TestVm.RunToEnd(vm).Reason);

        Assert.Equal([(1UL, (byte)0x07)], device.Writes);
        Assert.Equal(Reads + 1 + 1, vm.ExitCount); // every write still exits: the VMM drops it, not KVM
    }

    [Fact]
    public void An_exit_tracer_sees_every_read_of_a_published_register()
    {
        var device = new PublishingDevice();
        var tracer = new PortTracer();
        device.Status.Publish(0x61);
        using var vm = TestVm.Create(b => b.AddIoDevice(DevicePort, 8, device).AddIoDevice(EchoPort, 2, new RecordingDevice()).WithExitTracer(tracer));
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, StatusPollingGuest());

        Assert.Equal(VmStopReason.AllVcpusHalted, TestVm.RunToEnd(vm).Reason);

        Assert.Equal([.. Enumerable.Repeat((byte)0x61, Reads), (byte)0xD5], tracer.StatusReads);
        Assert.Equal(1, device.Reads);
    }

    // Reads the status port Reads times a byte at a time, then once as a word, echoing each value to EchoPort; halts.
    private static byte[] StatusPollingGuest() => GuestCode.Assemble(32, 0x100000, a =>
    {
        var next = a.CreateLabel();
        a.xor(ecx, ecx);
        a.Label(ref next);
        a.mov(dx, StatusPort);
        a.@in(al, dx);
        a.mov(dx, EchoPort);
        a.@out(dx, al);
        a.inc(ecx);
        a.cmp(ecx, Reads);
        a.jne(next);
        a.mov(dx, StatusPort);
        a.@in(ax, dx);
        a.mov(dx, EchoPort);
        a.@out(dx, ax);
        a.hlt();
    });

    private sealed class PortTracer : IExitTracer
    {
        private readonly ConcurrentQueue<byte> _statusReads = new();

        public byte[] StatusReads => [.. _statusReads];

        public void OnPortIo(int vcpuId, ushort port, bool isWrite, ReadOnlySpan<byte> data)
        {
            if (port == StatusPort && !isWrite)
            {
                _statusReads.Enqueue(data[0]);
            }
        }

        public void OnMmio(int vcpuId, ulong address, bool isWrite, ReadOnlySpan<byte> data)
        {
        }
    }
}
