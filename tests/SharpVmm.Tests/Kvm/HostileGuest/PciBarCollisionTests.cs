using System.Buffers.Binary;
using SharpVmm.Devices.Legacy;
using SharpVmm.Devices.Pci;
using SharpVmm.Devices.Virtio;
using SharpVmm.Devices.Virtio.Pci;
using SharpVmm.Platform;
using SharpVmm.Tests.Support;
using SharpVmm.X86;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace SharpVmm.Tests.Kvm.HostileGuest;

[Tier(TestTiers.KvmFast)]
public class PciBarCollisionTests
{
    private const ulong CodeAddress = 0x1000;

    [Fact]
    public void A_guest_that_moves_a_virtio_pci_bar_onto_another_devices_bar_and_back_keeps_running_with_consistent_ioeventfds()
    {
        (VirtualMachine machine, VirtioPlatform virtio) = PciMachine(devices: 2);
        using VirtualMachine vm = machine;
        int slotA = virtio.PciSlots[0], slotB = virtio.PciSlots[1];
        uint barA = Bar0(virtio.PciDevices[0]), barB = Bar0(virtio.PciDevices[1]);
        Assert.Equal([true, true], virtio.PciNotifiersActive);

        // A's BAR 0 onto B's (KVM would refuse A's ioeventfds: EEXIST), then back where it was.
        TestVm.Load(vm, CpuMode.Real, CodeAddress, GuestCode.Assemble(16, CodeAddress, a =>
        {
            WriteBar0(a, slotA, barB);
            WriteBar0(a, slotA, barA);
            WriteBar0(a, slotA, barB);
            a.mov(al, 0x2A); // with the in-kernel irqchip HLT does not exit: the guest ends through isa-debug-exit
            a.@out((byte)DebugExitPort.DefaultPort, al);
        }));

        VmRunResult result = TestVm.RunToEnd(vm);

        Assert.Equal(VmStopReason.GuestDebugExit, result.Reason);
        Assert.Equal(barB, Bar0(virtio.PciDevices[0])); // the guest's value stands, but the bus does not decode it there
        Assert.Contains(vm.MmioBus.Ranges, r => r.Base == barB && r.Device == virtio.PciDevices[1].Bars[0].Region);
        Assert.Equal([false, true], virtio.PciNotifiersActive); // A's are nowhere (they would steal B's writes); B's untouched
        Assert.Equal(0, virtio.NotifierFallbacks); // every move found the registrations where they were left: no EEXIST, no ENOENT
    }

    [Fact]
    public void When_kvm_refuses_a_moved_bars_ioeventfds_the_device_falls_back_to_trapped_notifications_and_the_vm_keeps_running()
    {
        (VirtualMachine machine, VirtioPlatform virtio) = PciMachine(devices: 1);
        using VirtualMachine vm = machine;
        int slot = virtio.PciSlots[0];
        uint elsewhere = (uint)PciLayout.MmioWindowBase + 0x0800_0000; // free, but something else holds an ioeventfd on queue 1's register
        using var taken = new SharpVmm.Sys.EventFd();
        vm.Kvm.AddIoEventFd(taken, elsewhere + VirtioPciLayout.NotifyOffset + VirtioPciLayout.NotifyOffMultiplier, 2, isPortIo: false, dataMatch: null);

        TestVm.Load(vm, CpuMode.Real, CodeAddress, GuestCode.Assemble(16, CodeAddress, a =>
        {
            WriteBar0(a, slot, elsewhere);
            a.mov(al, 0x2A); // with the in-kernel irqchip HLT does not exit: the guest ends through isa-debug-exit
            a.@out((byte)DebugExitPort.DefaultPort, al);
        }));

        VmRunResult result = TestVm.RunToEnd(vm);

        Assert.Equal(VmStopReason.GuestDebugExit, result.Reason);
        Assert.Equal(1, virtio.NotifierFallbacks);
        Assert.Equal([false], virtio.PciNotifiersActive);
        Assert.Contains(vm.MmioBus.Ranges, r => r.Base == elsewhere); // the BAR itself is decoded: notifications trap to the transport
        // Queue 0's ioeventfd, made before KVM refused queue 1's, was taken back: the address is free for another.
        using var probe = new SharpVmm.Sys.EventFd();
        vm.Kvm.AddIoEventFd(probe, elsewhere + VirtioPciLayout.NotifyOffset, 2, isPortIo: false, dataMatch: null);
    }

    // A PC machine with isa-debug-exit and DEVICES virtio-pci devices.
    private static (VirtualMachine Vm, VirtioPlatform Virtio) PciMachine(int devices)
    {
        VirtualMachine vm = TestVm.Create(b => PcPlatform.Machine(b));
        vm.Devices.AddIoDevice(DebugExitPort.DefaultPort, DebugExitPort.DefaultSize, new DebugExitPort(vm.Devices.Control.RequestDebugExit));
        VirtioPlatform virtio = VirtioPlatform.Attach(vm.Devices, VirtioTransport.Pci);
        for (int i = 0; i < devices; i++)
        {
            virtio.Add(new FakeVirtioDevice(VirtioFeatures.Version1, 16, 16));
        }

        return (vm, virtio);
    }

    private static uint Bar0(VirtioPciDevice function)
    {
        byte[] bar = new byte[4];
        function.ReadConfig(PciConfigSpace.Bar0Offset, bar);
        return BinaryPrimitives.ReadUInt32LittleEndian(bar) & 0xFFFF_FFF0;
    }

    // Configuration mechanism #1, as a guest driver writes a BAR.
    private static void WriteBar0(Iced.Intel.Assembler a, int slot, uint address)
    {
        a.mov(dx, PciLayout.ConfigAddressPort);
        a.mov(eax, 0x8000_0000u | ((uint)slot << 11) | (uint)PciConfigSpace.Bar0Offset);
        a.@out(dx, eax);
        a.mov(dx, PciLayout.ConfigDataPort);
        a.mov(eax, address);
        a.@out(dx, eax);
    }
}
