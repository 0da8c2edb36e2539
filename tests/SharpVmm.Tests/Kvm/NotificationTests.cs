using SharpVmm.Devices.Virtio;
using SharpVmm.Kvm;
using SharpVmm.Notification;
using SharpVmm.Tests.Support;
using SharpVmm.X86;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace SharpVmm.Tests.Kvm;

[Tier(TestTiers.KvmFast)]
public class NotificationTests
{
    [Fact]
    public void A_port_write_registered_as_ioeventfd_signals_it_without_reaching_the_bus()
    {
        var device = new RecordingDevice();
        using var vm = TestVm.Create(b => b.AddIoDevice(0x610, 2, device));
        using var notify = new EventFd();
        using var matched = new EventFd();
        vm.Kvm.AddIoEventFd(notify, 0x610, 1, isPortIo: true, dataMatch: null);
        vm.Kvm.AddIoEventFd(matched, 0x611, 1, isPortIo: true, dataMatch: 0x42);
        byte[] code = GuestCode.Assemble(32, 0x100000, a =>
        {
            a.mov(dx, 0x610);
            a.mov(al, 1);
            a.@out(dx, al);  // ioeventfd: no exit
            a.@out(dx, al);  // again: the counter adds up
            a.mov(dx, 0x611);
            a.mov(al, 0x41);
            a.@out(dx, al);  // data does not match: an ordinary exit to the bus
            a.mov(al, 0x42);
            a.@out(dx, al);  // matches: no exit
            a.hlt();
        });
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, code);

        Assert.Equal(VmStopReason.AllVcpusHalted, TestVm.RunToEnd(vm).Reason);

        Assert.True(notify.TryRead(out ulong notifications));
        Assert.Equal(2UL, notifications);
        Assert.True(matched.TryRead(out ulong matches));
        Assert.Equal(1UL, matches);
        Assert.Equal([(1UL, 0x41UL)], device.Writes.Select(w => (w.Offset, w.Value)).ToArray());
        vm.Kvm.RemoveIoEventFd(notify, 0x610, 1, isPortIo: true, dataMatch: null);
        Assert.Throws<KvmException>(() => vm.Kvm.RemoveIoEventFd(notify, 0x610, 1, isPortIo: true, dataMatch: null));
    }

    [Fact]
    public void The_poller_calls_back_when_the_guest_writes_an_mmio_notify_address()
    {
        var device = new RecordingDevice();
        using var vm = TestVm.Create(b => b.AddMmioDevice(0xD000_0000, 0x1000, device));
        using var notify = new EventFd();
        using var seen = new SemaphoreSlim(0);
        vm.Kvm.AddIoEventFd(notify, 0xD000_0050, 4, isPortIo: false, dataMatch: 1); // queue 1's notify
        using var poller = new IoEventPoller();
        poller.Register(notify, () => seen.Release());
        poller.Start();
        byte[] code = GuestCode.Assemble(32, 0x100000, a =>
        {
            a.mov(__dword_ptr[0xD000_0050], 1);
            a.hlt();
        });
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, code);

        Assert.Equal(VmStopReason.AllVcpusHalted, TestVm.RunToEnd(vm).Reason);

        Assert.True(seen.Wait(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken), "the poller never saw the ioeventfd fire");
        Assert.Empty(device.Writes);
    }

    [Fact]
    public void A_device_owned_notification_event_registered_by_handle_is_woken_by_the_guest_write()
    {
        var device = new RecordingDevice();
        using var vm = TestVm.Create(b => b.AddMmioDevice(0xD000_0000, 0x1000, device));
        using var notification = new NotificationEvent();
        vm.Kvm.AddIoEventFd(notification.Handle, 0xD000_0050, 4, isPortIo: false, dataMatch: 0); // queue 0's notify, virtio-mmio style
        byte[] code = GuestCode.Assemble(32, 0x100000, a =>
        {
            a.mov(__dword_ptr[0xD000_0050], 0);
            a.mov(__dword_ptr[0xD000_0050], 2); // another queue: not this eventfd, so an ordinary MMIO exit
            a.hlt();
        });
        TestVm.Load(vm, CpuMode.Protected32, 0x100000, code);

        Assert.Equal(VmStopReason.AllVcpusHalted, TestVm.RunToEnd(vm).Reason);

        Assert.True(notification.Wait(10_000), "the guest's write did not signal the device's eventfd");
        Assert.Equal(0x50UL, Assert.Single(device.Writes).Offset);
        vm.Kvm.RemoveIoEventFd(notification.Handle, 0xD000_0050, 4, isPortIo: false, dataMatch: 0);
        Assert.Throws<KvmException>(() => vm.Kvm.RemoveIoEventFd(notification.Handle, 0xD000_0050, 4, isPortIo: false, dataMatch: 0));
    }

    [Fact]
    public void Irqfd_msi_and_routing_are_accepted_by_an_in_kernel_irqchip()
    {
        using var vm = TestVm.Create(b => b.WithInKernelIrqchip());
        Assert.True(vm.Kvm.CheckExtension(KvmCap.Irqfd) > 0);
        Assert.True(vm.Kvm.CheckExtension(KvmCap.IrqRouting) > 0);

        vm.Kvm.SetGsiRouting(GsiRoutingTable.DefaultX86With([GsiRoute.Msi(24, 0xFEE0_0000, 0x41)]));
        using (var line = new IrqFdInterruptLine(vm.Kvm, 5))
        {
            line.SetLevel(true);
            line.SetLevel(false);
            line.Pulse();
            Assert.Equal(2, line.Edges);
        }

        using var msiLine = new IrqFdInterruptLine(vm.Kvm, 24);
        msiLine.Pulse();

        if (vm.Kvm.CheckExtension(KvmCap.SignalMsi) > 0)
        {
            var sink = new KvmMsiSink(vm.Kvm);
            sink.Send(new SharpVmm.Devices.Pci.MsiMessage(0xFEE0_0000, 0x41));
            Assert.Equal(1, sink.Delivered + sink.Blocked);
        }
    }
}
