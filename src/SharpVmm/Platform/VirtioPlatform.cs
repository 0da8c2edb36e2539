using System.Buffers.Binary;
using System.Runtime.InteropServices;
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
/// MMIO exit and every interrupt an ioctl, for comparison. The platform owns its devices: they are disposed with the VM,
/// after the vCPUs stop and before guest memory is unmapped.
/// </remarks>
/// <example>
/// <code>
/// var builder = new VirtualMachineBuilder().WithMemory(256 &lt;&lt; 20);
/// PcPlatform.AddTo(builder, Console.OpenStandardOutput());
/// VirtioPlatform virtio = VirtioPlatform.AddTo(builder, VirtioTransport.Pci);
/// virtio.Add(new VirtioBlockDevice(new RawDiskImage("disk.img")));
/// using VirtualMachine vm = builder.Build();
/// </code>
/// </example>
public sealed class VirtioPlatform : IDisposable, Devices.IPausable
{
    private readonly VirtualMachineBuilder _builder;
    private readonly List<IVirtioDevice> _devices = [];
    private readonly List<VirtioMmioDevice> _mmio = [];
    private readonly List<SwitchableInterruptLine> _mmioLines = [];
    private readonly List<(int Slot, VirtioPciDevice Device)> _pci = [];
    private readonly DeferredMsiSink _msi = new();
    private readonly List<EventFd> _eventFds = [];
    private readonly List<IDisposable> _irqFds = [];
    private VirtualMachine? _vm;
    private IoEventPoller? _poller;
    private bool _built;
    private bool _disposed;

    private VirtioPlatform(VirtualMachineBuilder builder, VirtioTransport transport, bool useEventFds)
    {
        _builder = builder;
        Transport = transport;
        UseEventFds = useEventFds;
    }

    /// <summary>The transport every device added here uses.</summary>
    public VirtioTransport Transport { get; }

    /// <summary>Whether ioeventfd/irqfd are used where KVM offers them.</summary>
    public bool UseEventFds { get; }

    /// <summary>After the VM is built: whether queue notifications really are ioeventfds (KVM offered them and they were asked for).</summary>
    public bool IoEventFdsActive { get; private set; }

    /// <summary>
    /// After the VM is built with ioeventfds: how many queues' ioeventfds are their device's own eventfd
    /// (<see cref="IVirtioNotificationSource"/>), so that KVM wakes the device thread directly. The other queues'
    /// ioeventfds go through a poller thread that replays the write to the transport.
    /// </summary>
    public int DirectNotificationQueues { get; private set; }

    /// <summary>After the VM is built: whether virtio-mmio interrupts really are irqfds.</summary>
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

    /// <summary>Adds the platform to <paramref name="builder"/> (which needs the in-kernel irqchip, e.g. from <see cref="PcPlatform"/>).</summary>
    public static VirtioPlatform AddTo(VirtualMachineBuilder builder, VirtioTransport transport = VirtioTransport.Pci, bool useEventFds = true)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var platform = new VirtioPlatform(builder, transport, useEventFds);
        builder.WithInKernelIrqchip().Owns(platform).WhenBuilt(platform.OnBuilt);
        return platform;
    }

    /// <summary>
    /// Adds <paramref name="device"/> on the next slot (PCI) or window (MMIO); the platform owns it from here on. Call
    /// before the VM is built.
    /// </summary>
    /// <exception cref="InvalidOperationException">The VM is already built, or every virtio-mmio window is taken.</exception>
    public T Add<T>(T device) where T : IVirtioDevice
    {
        ArgumentNullException.ThrowIfNull(device);
        if (_built)
        {
            throw new InvalidOperationException("virtio devices are added before the VM is built");
        }

        if (Transport == VirtioTransport.Mmio)
        {
            int index = _mmio.Count;
            if (index >= VirtioMmioLayout.MaxDevices)
            {
                throw new InvalidOperationException($"at most {VirtioMmioLayout.MaxDevices} virtio-mmio devices fit the platform's IRQs; use the PCI transport for more");
            }

            var line = new SwitchableInterruptLine(_builder.InterruptLine(VirtioMmioLayout.IrqOf(index)));
            var transport = new VirtioMmioDevice(device, MemoryOfVm, line);
            _builder.AddMmioDevice(VirtioMmioLayout.BaseOf(index), VirtioMmioDevice.WindowSize, transport);
            _mmio.Add(transport);
            _mmioLines.Add(line);
        }
        else
        {
            int slot = PciLayout.FirstDeviceSlot + _pci.Count;
            if (slot >= PciLayout.SlotCount)
            {
                throw new InvalidOperationException($"PCI bus 0 has no free slot for another device (at most {PciLayout.SlotCount - PciLayout.FirstDeviceSlot})");
            }

            var function = new VirtioPciDevice(device, MemoryOfVm, _msi, _builder.InterruptLine(PciLayout.IntxGsi(slot, 0)));
            _pci.Add((slot, function));
        }

        _devices.Add(device);
        return device;
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

    private GuestMemory MemoryOfVm() =>
        _vm?.Memory ?? throw new InvalidOperationException("a virtio driver ran before the VM was built");

    private void OnBuilt(VirtualMachine vm)
    {
        _vm = vm;
        _built = true;
        _msi.Connect(new KvmMsiSink(vm.Kvm));
        if (_pci.Count > 0)
        {
            var bus = new PciBus(vm.MmioBus);
            vm.IoBus.Register(PciLayout.ConfigAddressPort, PciLayout.ConfigPortCount, new PciHostBridge(bus));
            foreach ((int slot, VirtioPciDevice function) in _pci)
            {
                bus.Add(slot, function);
            }
        }

        if (!UseEventFds)
        {
            return;
        }

        KvmVm kvm = vm.Kvm;
        if (_mmio.Count > 0 && kvm.CheckExtension(KvmCap.Irqfd) > 0)
        {
            for (int i = 0; i < _mmio.Count; i++)
            {
                var irqFd = new IrqFdInterruptLine(kvm, VirtioMmioLayout.IrqOf(i));
                _irqFds.Add(irqFd);
                _mmioLines[i].Switch(irqFd);
            }

            IrqFdsActive = true;
        }

        if (kvm.CheckExtension(KvmCap.Ioeventfd) <= 0 || _devices.Count == 0)
        {
            return;
        }

        for (int i = 0; i < _mmio.Count; i++)
        {
            ulong address = VirtioMmioDevice.NotifyAddress(VirtioMmioLayout.BaseOf(i));
            for (int q = 0; q < _mmio[i].Queues.Count; q++)
            {
                // virtio-mmio: one register for every queue; the written value (the queue index) picks the eventfd.
                SafeHandle notifier = QueueNotifier(_devices[i], q, () => address, 4);
                kvm.AddIoEventFd(notifier, address, 4, isPortIo: false, dataMatch: (ulong)q);
            }
        }

        for (int i = 0; i < _pci.Count; i++)
        {
            VirtioPciDevice function = _pci[i].Device;
            var notifiers = new List<(SafeHandle Notifier, int Queue)>();
            for (int q = 0; q < function.Queues.Count; q++)
            {
                // virtio-pci: a register per queue (notify_off_multiplier 4); the driver writes the 16-bit queue index.
                int queue = q;
                SafeHandle notifier = QueueNotifier(_devices[i], q, () => function.NotifyAddress(queue), 2);
                kvm.AddIoEventFd(notifier, function.NotifyAddress(q), 2, isPortIo: false, dataMatch: null);
                notifiers.Add((notifier, q));
            }

            function.NotifyRegionMoved += (oldBase, newBase) =>
            {
                // The guest moved BAR 0 or turned its decoding off (0) or on: the ioeventfds follow the registers.
                foreach ((SafeHandle notifier, int q) in notifiers)
                {
                    if (oldBase != 0)
                    {
                        kvm.RemoveIoEventFd(notifier, oldBase + (VirtioPciLayout.NotifyOffMultiplier * (ulong)q), 2, isPortIo: false, dataMatch: null);
                    }

                    if (newBase != 0)
                    {
                        kvm.AddIoEventFd(notifier, newBase + (VirtioPciLayout.NotifyOffMultiplier * (ulong)q), 2, isPortIo: false, dataMatch: null);
                    }
                }
            };
        }

        _poller?.Start();
        IoEventFdsActive = true;
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

        _poller ??= new IoEventPoller("virtio ioeventfd");
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
        _vm?.MmioBus.Write(address, value[..length]);
    }
}
