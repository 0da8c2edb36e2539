using SharpVmm.Configuration;
using SharpVmm.Devices.Legacy;
using SharpVmm.Devices.Virtio;
using SharpVmm.Devices.Virtio.Mmio;
using SharpVmm.Notification;
using SharpVmm.Platform;
using SharpVmm.Tests.Support;
using SharpVmm.X86;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace SharpVmm.Tests.Kvm;

/// <summary>
/// The build order: guest memory, the KVM VM, the irqchip and the vCPUs exist first, and each device is then built
/// with the real ones and the VM's control, and put on its bus before any vCPU runs.
/// </summary>
[Tier(TestTiers.KvmFast)]
public class DeviceOrderTests
{
    [Fact]
    public void Devices_are_given_the_vms_own_memory_control_interrupt_lines_and_msi_sink()
    {
        using VirtualMachine vm = TestVm.Create(b => PcPlatform.Machine(b), vcpus: 2);
        VmDevices devices = vm.Devices;

        Assert.True(devices.IsOpen);
        Assert.Same(vm.Memory, devices.Memory);
        Assert.Same(vm, devices.Control);
        Assert.Equal(2, devices.VcpuCount);
        Assert.Same(devices.InterruptLine(4), devices.InterruptLine(4));
        Assert.Equal(4u, devices.InterruptLine(4).Gsi);
        Assert.IsType<KvmMsiSink>(devices.MsiSink);
    }

    [Fact]
    public void A_virtio_transport_is_on_its_bus_with_its_irqfd_and_ioeventfd_as_soon_as_its_device_is_added()
    {
        using VirtualMachine vm = TestVm.Create(b => PcPlatform.Machine(b));
        VirtioPlatform virtio = VirtioPlatform.Attach(vm.Devices, VirtioTransport.Mmio);

        virtio.Add(new FakeVirtioDevice(VirtioFeatures.Version1, 16));

        VirtioMmioDevice transport = Assert.Single(virtio.MmioDevices);
        Assert.Contains(vm.MmioBus.Ranges, r => r.Base == VirtioMmioLayout.BaseOf(0) && r.Device == transport);
        Assert.True(virtio.IrqFdsActive);
        Assert.True(virtio.IoEventFdsActive);
    }

    [Fact]
    public void A_guest_write_to_the_debug_exit_port_ends_the_run_through_the_vm_control()
    {
        using VirtualMachine vm = TestVm.Create();
        var control = new RecordingControl(vm.Devices.Control);
        vm.Devices.AddIoDevice(DebugExitPort.DefaultPort, DebugExitPort.DefaultSize, new DebugExitPort(control.RequestDebugExit));
        TestVm.Load(vm, CpuMode.Real, 0x1000, GuestCode.Assemble(16, 0x1000, a =>
        {
            a.mov(al, 0x2A);
            a.@out((byte)DebugExitPort.DefaultPort, al);
            a.hlt();
        }));

        VmRunResult result = TestVm.RunToEnd(vm);

        Assert.Equal(VmStopReason.GuestDebugExit, result.Reason);
        Assert.Equal(DebugExitPort.ToExitStatus(0x2A), result.GuestExitStatus);
        Assert.Equal([DebugExitPort.ToExitStatus(0x2A)], control.DebugExits);
    }

    [Fact]
    public void A_raw_guest_from_a_config_ends_its_run_with_the_status_it_wrote_to_isa_debug_exit()
    {
        KvmTestEnvironment.RequireKvm();
        string image = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(image, [0xB0, 0x15, 0xE6, 0xF4, 0xF4]); // mov al, 0x15; out 0xf4, al; hlt
            var config = new VmConfig { RawGuest = new RawGuestConfig { ImagePath = image } };
            using MicroVm vm = MicroVm.Create(config, new MicroVmOptions { ConsoleOutput = Stream.Null });

            VmRunResult result = vm.Run(new VmRunOptions { TimeLimit = TestVm.DefaultTimeLimit });

            Assert.Equal(VmStopReason.GuestDebugExit, result.Reason);
            Assert.Equal(DebugExitPort.ToExitStatus(0x15), result.GuestExitStatus);
        }
        finally
        {
            File.Delete(image);
        }
    }

    [Fact]
    public void A_device_is_refused_once_the_vm_has_started()
    {
        using VirtualMachine vm = TestVm.Create();
        TestVm.Load(vm, CpuMode.Real, 0x1000, [0xF4]); // hlt

        TestVm.RunToEnd(vm);

        Assert.False(vm.Devices.IsOpen);
        Assert.Throws<InvalidOperationException>(() => vm.Devices.AddIoDevice(0x10, 1, new RecordingDevice()));
        Assert.Throws<InvalidOperationException>(() => vm.Devices.Owns(new MemoryStream()));
    }

    [Fact]
    public void Interrupt_lines_and_the_pc_devices_need_a_vm_built_with_the_in_kernel_irqchip()
    {
        using VirtualMachine vm = TestVm.Create();

        Assert.Throws<InvalidOperationException>(() => vm.Devices.InterruptLine(4));
        Assert.Throws<InvalidOperationException>(() => PcPlatform.Attach(vm.Devices, Stream.Null));
    }

    /// <summary>Passes every request on to the VM and remembers the debug exits.</summary>
    private sealed class RecordingControl(IVmControl inner) : IVmControl
    {
        public List<int> DebugExits { get; } = [];

        public bool IsSuspended => inner.IsSuspended;

        public void RequestDebugExit(int status)
        {
            DebugExits.Add(status);
            inner.RequestDebugExit(status);
        }

        public void RequestPowerOff(string source) => inner.RequestPowerOff(source);

        public void RequestReset(string source) => inner.RequestReset(source);

        public void Suspend() => inner.Suspend();

        public bool WakeAtRealModeVector(uint vector) => inner.WakeAtRealModeVector(vector);
    }
}
