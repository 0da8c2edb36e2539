using SharpVmm.Devices.Virtio;
using SharpVmm.Kvm;
using SharpVmm.Notification;
using SharpVmm.Sys;
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

    private const ulong Main = 0x100000, WaitLoop = 0x100800, Handlers = 0x101000, Idt = 0x3000, Stack = 0x80000;
    private const ushort ReportPort = 0x500;
    private const uint Ready = 1, UnexpectedVector = 0xBAD00;
    private const uint IoapicVector = 0x35, MsiRouteVector = 0x41, SignalledMsiVector = 0x42;

    /// <summary>
    /// The guest (64-bit, ring 0) masks the 8259s and LINT0, enables its local APIC, points IOAPIC pin 5 at vector 0x35
    /// and waits in <c>sti; hlt</c>; each handler reports its vector on port 0x500, sends EOI and waits again. Each of
    /// the three ways this VMM raises interrupts must bring the guest exactly its own vector, in order: an irqfd on GSI 5
    /// (through the IOAPIC, as KVM's default routing has it), an irqfd on GSI 24 that the routing table makes an MSI,
    /// and <c>KVM_SIGNAL_MSI</c>, which KVM reports as delivered.
    /// </summary>
    [Fact]
    public void Irqfds_on_an_ioapic_pin_and_on_an_msi_route_and_a_signalled_msi_each_interrupt_the_guest_with_their_vector()
    {
        var device = new RecordingDevice();
        using var vm = TestVm.Create(b => b.WithInKernelIrqchip().AddIoDevice(ReportPort, 4, device));
        Assert.True(vm.Kvm.CheckExtension(KvmCap.Irqfd) > 0);
        Assert.True(vm.Kvm.CheckExtension(KvmCap.IrqRouting) > 0);
        Assert.True(vm.Kvm.CheckExtension(KvmCap.SignalMsi) > 0);
        LoadInterruptGuest(vm);
        vm.Kvm.SetGsiRouting(GsiRoutingTable.DefaultX86With([GsiRoute.Msi(24, 0xFEE0_0000, MsiRouteVector)]));
        using var ioapicLine = new IrqFdInterruptLine(vm.Kvm, 5);
        using var msiLine = new IrqFdInterruptLine(vm.Kvm, 24);
        var sink = new KvmMsiSink(vm.Kvm);

        vm.Start();
        try
        {
            WaitForReports(device, [Ready]);
            ioapicLine.SetLevel(false); // an edge line: going low sends nothing
            ioapicLine.SetLevel(true);
            WaitForReports(device, [Ready, IoapicVector]);
            msiLine.Pulse();
            WaitForReports(device, [Ready, IoapicVector, MsiRouteVector]);
            sink.Send(new SharpVmm.Devices.Pci.MsiMessage(0xFEE0_0000, SignalledMsiVector));
            WaitForReports(device, [Ready, IoapicVector, MsiRouteVector, SignalledMsiVector]);
        }
        finally
        {
            vm.Stop();
        }

        VmRunResult result = vm.WaitForExit(TimeSpan.FromSeconds(10));
        Assert.True(result.Reason == VmStopReason.StopRequested, $"{result.Summary}\n{result.Report}");
        Assert.Equal([Ready, IoapicVector, MsiRouteVector, SignalledMsiVector], device.Writes.Select(w => (uint)w.Value).ToArray());
        Assert.Equal((1L, 1L), (ioapicLine.Edges, msiLine.Edges));
        Assert.Equal((1L, 0L), (sink.Delivered, sink.Blocked));
    }

    private static void LoadInterruptGuest(VirtualMachine vm)
    {
        byte[] main = GuestCode.Assemble(64, Main, a =>
        {
            a.mov(rsp, Stack);
            a.mov(al, 0xFF);
            a.@out(0x21, al);                              // mask every 8259 line: GSI 5 reaches it too
            a.@out(0xA1, al);
            a.mov(rbx, 0xFEE0_0000);
            a.mov(__dword_ptr[rbx + 0x350], 0x10000);      // LVT LINT0 masked
            a.mov(__dword_ptr[rbx + 0xF0], 0x1FF);         // spurious vector register: APIC enabled, vector 0xFF
            a.mov(rcx, 0xFEC0_0000);
            a.mov(__dword_ptr[rcx], 0x1B);                 // IOAPIC redirection entry 5, high half: destination APIC 0
            a.mov(__dword_ptr[rcx + 0x10], 0);
            a.mov(__dword_ptr[rcx], 0x1A);                 // low half: vector, fixed, physical, edge, active high, unmasked
            a.mov(__dword_ptr[rcx + 0x10], (int)IoapicVector);
            a.mov(dx, ReportPort);
            a.mov(eax, Ready);
            a.@out(dx, eax);
            a.mov(rax, WaitLoop);
            a.jmp(rax);
        });
        TestVm.Load(vm, CpuMode.Long64, Main, main);
        vm.Memory.Write(new SharpVmm.Memory.GuestAddress(WaitLoop), GuestCode.Assemble(64, WaitLoop, a =>
        {
            var wait = a.CreateLabel();
            a.Label(ref wait);
            a.sti();                                       // sti's shadow: no interrupt slips in before the hlt
            a.hlt();
            a.jmp(wait);
        }));

        // KVM's emulator (guest ring 0 on a kvm_pvm host) has no iretq, so a handler reports, sends EOI, and goes back
        // to waiting on a fresh stack instead of returning. A vector nobody should raise reports 0xBAD00 | vector.
        uint[] vectors = [IoapicVector, MsiRouteVector, SignalledMsiVector];
        for (int vector = 0; vector < 256; vector++)
        {
            ulong handler = Handlers + (ulong)vector * 0x40;
            uint report = vectors.Contains((uint)vector) ? (uint)vector : UnexpectedVector | (uint)vector;
            vm.Memory.Write(new SharpVmm.Memory.GuestAddress(handler), GuestCode.Assemble(64, handler, a =>
            {
                a.mov(dx, ReportPort);
                a.mov(eax, report);
                a.@out(dx, eax);
                a.mov(rbx, 0xFEE0_00B0);
                a.mov(__dword_ptr[rbx], 0);                // EOI
                a.mov(rsp, Stack);
                a.mov(rax, WaitLoop);
                a.jmp(rax);
            }));
            GuestCode.WriteInterruptGate(vm.Memory, Idt, vector, handler);
        }

        GuestCode.LoadIdt(vm.Vcpus[0], Idt, 256);
    }

    private static void WaitForReports(RecordingDevice device, uint[] expected)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            uint[] seen = device.Writes.Select(w => (uint)w.Value).ToArray();
            if (seen.SequenceEqual(expected))
            {
                return;
            }

            Assert.True(seen.Length < expected.Length && seen.SequenceEqual(expected.Take(seen.Length)) && DateTime.UtcNow < deadline,
                $"the guest reported [{string.Join(", ", seen.Select(v => $"0x{v:x}"))}], expected [{string.Join(", ", expected.Select(v => $"0x{v:x}"))}]");
            Thread.Sleep(5);
        }
    }
}
