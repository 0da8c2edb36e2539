using System.Buffers.Binary;
using System.Runtime.InteropServices;
using SharpVmm.Devices;
using SharpVmm.Devices.Pci;
using SharpVmm.Devices.Virtio;
using SharpVmm.Devices.Virtio.Mmio;
using SharpVmm.Devices.Virtio.Pci;
using SharpVmm.Kvm;
using SharpVmm.Memory;
using SharpVmm.Notification;
using SharpVmm.Sys;

namespace SharpVmm.Platform;

/// <summary>
/// Puts virtio devices on a VM over one transport. With <see cref="VirtioTransport.Pci"/> a PCI host bridge answers
/// configuration mechanism #1 at 0xCF8 and each device is a virtio-pci function from slot 1, its BAR in the window at
/// 0xC0000000, interrupting through MSI-X (INTx on GSIs 16-19 as a fallback); the ACPI DSDT and the MP table describe
/// the bus (<see cref="PciSlots"/>). With <see cref="VirtioTransport.Mmio"/> device n has the 4 KiB window at
/// 0xD0000000 + n * 0x1000 and ISA IRQ 5, 6, 7, 10, 11, 14 or 15, announced on the kernel command line
/// (<see cref="KernelCommandLine"/>).
/// </summary>
/// <remarks>
/// Notifications: where KVM offers them, a driver's queue notifications are ioeventfds (KVM completes the guest's
/// write without an exit to this process). A device that offers its own eventfd per queue
/// (<see cref="IVirtioNotificationSource"/>: blk, net, rng, console) has that registered, so the write wakes the device
/// thread itself; for any other device one poller thread replays the write to the transport. Virtio-mmio interrupts are
/// irqfds. MSI-X messages go through <c>KVM_SIGNAL_MSI</c>. With <c>useEventFds: false</c> every notification is an
/// MMIO exit and every interrupt an ioctl, for comparison. Each transport is built when its device is added, on the VM
/// that exists: with the guest's memory, its interrupt line or irqfd and the VM's MSI sink, its ioeventfds registered
/// at once. The platform owns its devices: they are disposed with the VM, after the vCPUs stop and before guest memory
/// is unmapped.
/// </remarks>
/// <example>
/// <code>
/// using VirtualMachine vm = PcPlatform.Machine(new VirtualMachineBuilder().WithMemory(256 &lt;&lt; 20)).Build();
/// PcPlatform.Attach(vm.Devices, Console.OpenStandardOutput());
/// VirtioPlatform virtio = VirtioPlatform.Attach(vm.Devices, VirtioTransport.Pci);
/// virtio.Add(new VirtioBlockDevice(new RawDiskImage("disk.img")));
/// </code>
/// </example>
public sealed class VirtioPlatform : IDisposable, Devices.IPausable
{
    private readonly VmDevices _vm;
    private readonly List<IVirtioDevice> _devices = [];
    private readonly List<VirtioMmioDevice> _mmio = [];
    private readonly List<(int Slot, VirtioPciDevice Device)> _pci = [];
    private readonly List<EventFd> _eventFds = [];
    private readonly List<IDisposable> _irqFds = [];
    private readonly List<PciQueueNotifiers> _pciNotifiers = [];
    private readonly bool _useIrqFds;
    private readonly bool _useIoEventFds;
    private PciBus? _pciBus;
    private IoEventPoller? _poller;
    private bool _disposed;

    private VirtioPlatform(VmDevices vm, VirtioTransport transport, bool useEventFds)
    {
        _vm = vm;
        Transport = transport;
        UseEventFds = useEventFds;
        _useIrqFds = useEventFds && vm.Kvm.CheckExtension(KvmCap.Irqfd) > 0;
        _useIoEventFds = useEventFds && vm.Kvm.CheckExtension(KvmCap.Ioeventfd) > 0;
    }

    /// <summary>The PCI host bridge (ports 0xcf8-0xcff), once a device is on PCI.</summary>
    public PciHostBridge? HostBridge { get; private set; }

    /// <summary>The transport every device added here uses.</summary>
    public VirtioTransport Transport { get; }

    /// <summary>Whether ioeventfd/irqfd are used where KVM offers them.</summary>
    public bool UseEventFds { get; }

    /// <summary>Whether queue notifications are ioeventfds (KVM offered them, they were asked for, and a device was added).</summary>
    public bool IoEventFdsActive { get; private set; }

    /// <summary>
    /// With ioeventfds: how many queues' ioeventfds are their device's own eventfd
    /// (<see cref="IVirtioNotificationSource"/>), so that KVM wakes the device thread directly. The other queues'
    /// ioeventfds go through a poller thread that replays the write to the transport.
    /// </summary>
    public int DirectNotificationQueues { get; private set; }

    /// <summary>
    /// Times KVM refused a virtio-pci function's ioeventfds where the guest moved its BAR (EEXIST), so that its queue
    /// notifications fell back to trapped MMIO writes; the VM went on.
    /// </summary>
    public long NotifierFallbacks => _pciNotifiers.Sum(n => n.Fallbacks);

    /// <summary>For each virtio-pci function, by slot order: whether its queue ioeventfds are registered now.</summary>
    public IReadOnlyList<bool> PciNotifiersActive => [.. _pciNotifiers.Select(n => n.Active)];

    /// <summary>Whether virtio-mmio interrupts are irqfds (KVM offered them, they were asked for, and an MMIO device was added).</summary>
    public bool IrqFdsActive { get; private set; }

    /// <summary>The devices, in the order they were added.</summary>
    public IReadOnlyList<IVirtioDevice> Devices => _devices;

    /// <summary>The PCI slots in use (for the DSDT's _PRT and the MP table); empty with virtio-mmio.</summary>
    public IReadOnlyList<int> PciSlots => [.. _pci.Select(p => p.Slot)];

    /// <summary>The virtio-pci functions, by slot.</summary>
    public IReadOnlyList<VirtioPciDevice> PciDevices => [.. _pci.Select(p => p.Device)];

    /// <summary>The virtio-mmio transports, in device order.</summary>
    public IReadOnlyList<VirtioMmioDevice> MmioDevices => _mmio;

    /// <summary>
    /// What the kernel command line must say so the guest finds virtio-mmio devices (one
    /// <c>virtio_mmio.device=4K@BASE:IRQ</c> per device); empty for virtio-pci, which the guest finds by scanning the bus.
    /// </summary>
    public string KernelCommandLine => string.Join(' ', _mmio.Select((_, i) =>
        VirtioMmioDevice.KernelCommandLineArgument(VirtioMmioLayout.BaseOf(i), VirtioMmioLayout.IrqOf(i))));

    /// <summary>
    /// Creates the platform for the VM <paramref name="devices"/> belongs to (which needs the in-kernel irqchip, as
    /// <see cref="PcPlatform.Machine"/> gives it); the VM owns it. Add devices before the VM starts.
    /// </summary>
    /// <exception cref="InvalidOperationException">The VM has no in-kernel irqchip, or has started.</exception>
    public static VirtioPlatform Attach(VmDevices devices, VirtioTransport transport = VirtioTransport.Pci, bool useEventFds = true)
    {
        ArgumentNullException.ThrowIfNull(devices);
        if (!devices.HasIrqchip)
        {
            throw new InvalidOperationException("virtio devices interrupt through the in-kernel irqchip: build the VM WithInKernelIrqchip()");
        }

        var platform = new VirtioPlatform(devices, transport, useEventFds);
        devices.Owns(platform);
        return platform;
    }

    /// <summary>
    /// Builds the transport for <paramref name="device"/> on the next slot (PCI) or window (MMIO), puts it on the VM's
    /// buses and registers its ioeventfds; the platform owns the device from here on. Call before the VM starts.
    /// </summary>
    /// <exception cref="InvalidOperationException">The VM has started, or every slot or virtio-mmio window is taken.</exception>
    public T Add<T>(T device) where T : IVirtioDevice
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!_vm.IsOpen)
        {
            throw new InvalidOperationException("virtio devices are added before the VM starts");
        }

        if (Transport == VirtioTransport.Mmio)
        {
            AddMmio(device);
        }
        else
        {
            AddPci(device);
        }

        return device;
    }

    /// <summary>
    /// Every failure so far: a device's dead worker or back-end, an activation that threw, the ioeventfd poller's
    /// last error. The device keeps its report name (<c>vda</c>, <c>virtio-net 0</c>, ...).
    /// </summary>
    public IReadOnlyList<Diagnostics.DeviceFailure> Failures()
    {
        var failures = new List<Diagnostics.DeviceFailure>();
        int nets = 0;
        for (int i = 0; i < _devices.Count; i++)
        {
            IVirtioDevice device = _devices[i];
            string name = device switch
            {
                SharpVmm.Devices.Virtio.Block.VirtioBlockDevice b => b.Name,
                SharpVmm.Devices.Virtio.Net.VirtioNetDevice => $"virtio-net {nets++}",
                _ => $"virtio-{device.DeviceType.ToString().ToLowerInvariant()}",
            };
            if (device is SharpVmm.Devices.IDeviceHealth { Failure: { } failure })
            {
                failures.Add(new(name, failure));
            }

            Exception? activation = Transport == VirtioTransport.Pci
                ? PciDevices.ElementAtOrDefault(i)?.ActivationFailure
                : MmioDevices.ElementAtOrDefault(i)?.ActivationFailure;
            if (activation is not null)
            {
                failures.Add(new(name, activation));
            }
        }

        if (_poller?.LastFailure is { } polling)
        {
            failures.Add(new("ioeventfd poller", polling));
        }

        return failures;
    }

    /// <summary>Pauses every device's threads (see <see cref="Devices.IPausable"/>); the VM calls this after its vCPUs have parked.</summary>
    public void Pause()
    {
        foreach (IVirtioDevice device in _devices)
        {
            (device as Devices.IPausable)?.Pause();
        }
    }

    /// <summary>Lets every device's threads go on, before the vCPUs run again.</summary>
    public void Resume()
    {
        foreach (IVirtioDevice device in _devices)
        {
            (device as Devices.IPausable)?.Resume();
        }
    }

    /// <summary>Stops the poller and every device (the VM calls this when it is disposed).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _poller?.Dispose();
        foreach (IDisposable irqFd in _irqFds)
        {
            irqFd.Dispose();
        }

        foreach (IVirtioDevice device in _devices)
        {
            device.Dispose();
        }

        foreach (EventFd eventFd in _eventFds)
        {
            eventFd.Dispose();
        }
    }

    private void AddMmio(IVirtioDevice device)
    {
        int index = _mmio.Count;
        if (index >= VirtioMmioLayout.MaxDevices)
        {
            throw new InvalidOperationException($"at most {VirtioMmioLayout.MaxDevices} virtio-mmio devices fit the platform's IRQs; use the PCI transport for more");
        }

        uint irq = VirtioMmioLayout.IrqOf(index);
        ulong windowBase = VirtioMmioLayout.BaseOf(index);
        IInterruptLine line;
        if (_useIrqFds)
        {
            var irqFd = new IrqFdInterruptLine(_vm.Kvm, irq);
            _irqFds.Add(irqFd);
            line = irqFd;
            IrqFdsActive = true;
        }
        else
        {
            line = _vm.InterruptLine(irq);
        }

        var transport = new VirtioMmioDevice(device, _vm.Memory, line);
        _vm.AddMmioDevice(windowBase, VirtioMmioDevice.WindowSize, transport);
        _mmio.Add(transport);
        _devices.Add(device);
        if (_useIoEventFds)
        {
            ulong address = VirtioMmioDevice.NotifyAddress(windowBase);
            for (int q = 0; q < transport.Queues.Count; q++)
            {
                // virtio-mmio: one register for every queue; the written value (the queue index) picks the eventfd.
                SafeHandle notifier = QueueNotifier(device, q, () => address, 4);
                _vm.Kvm.AddIoEventFd(notifier, address, 4, isPortIo: false, dataMatch: (ulong)q);
            }

            IoEventFdsActive = true;
        }
    }

    private void AddPci(IVirtioDevice device)
    {
        int slot = PciLayout.FirstDeviceSlot + _pci.Count;
        if (slot >= PciLayout.SlotCount)
        {
            throw new InvalidOperationException($"PCI bus 0 has no free slot for another device (at most {PciLayout.SlotCount - PciLayout.FirstDeviceSlot})");
        }

        if (_pciBus is null)
        {
            var bus = new PciBus(_vm.MmioBus);
            HostBridge = new PciHostBridge(bus);
            _vm.AddIoDevice(PciLayout.ConfigAddressPort, PciLayout.ConfigPortCount, HostBridge);
            _pciBus = bus;
        }

        var function = new VirtioPciDevice(device, _vm.Memory, _vm.MsiSink, _vm.InterruptLine(PciLayout.IntxGsi(slot, 0)));
        _pciBus.Add(slot, function);
        _pci.Add((slot, function));
        _devices.Add(device);
        if (_useIoEventFds)
        {
            AddPciNotifiers(device, function);
            IoEventFdsActive = true;
        }
    }

    private void AddPciNotifiers(IVirtioDevice device, VirtioPciDevice function)
    {
        var notifiers = new List<SafeHandle>();
        for (int q = 0; q < function.Queues.Count; q++)
        {
            int queue = q;
            notifiers.Add(QueueNotifier(device, q, () => function.NotifyAddress(queue), 2));
        }

        _pciNotifiers.Add(new PciQueueNotifiers(_vm.Kvm, _vm.MmioBus, function, notifiers));
    }

    // The eventfd KVM signals for queue q's notify register. A device that offers its own (IVirtioNotificationSource)
    // gets the guest's write straight on its thread: one hand-off. Otherwise a private eventfd that the poller thread
    // replays as the MMIO write the exit would have been (at the register's current address), through the transport.
    private SafeHandle QueueNotifier(IVirtioDevice device, int queue, Func<ulong> address, int length)
    {
        if (device is IVirtioNotificationSource source && source.QueueNotificationHandle(queue) is { } own)
        {
            DirectNotificationQueues++;
            return own;
        }

        if (_poller is null)
        {
            _poller = new IoEventPoller("virtio ioeventfd");
            _poller.Start(); // it may watch more eventfds once running
        }

        EventFd eventFd = NewEventFd();
        _poller.Register(eventFd, () => Replay(address(), queue, length));
        return eventFd.Handle;
    }

    private EventFd NewEventFd()
    {
        var eventFd = new EventFd();
        _eventFds.Add(eventFd);
        return eventFd;
    }

    // KVM completed the guest's notify write without an exit; hand the same write to the transport, as the MMIO exit would have.
    private void Replay(ulong address, int queue, int length)
    {
        Span<byte> value = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(value, (uint)queue);
        _vm.MmioBus.Write(address, value[..length]);
    }
}
