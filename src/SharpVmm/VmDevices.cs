using SharpVmm.Devices;
using SharpVmm.Devices.Bus;
using SharpVmm.Devices.Pci;
using SharpVmm.Kvm;
using SharpVmm.Memory;
using SharpVmm.Notification;
using SharpVmm.Platform;

namespace SharpVmm;

/// <summary>
/// The device stage of a <see cref="VirtualMachine"/>: what exists before any device does (guest memory, the KVM VM,
/// its irqchip, the vCPUs and the <see cref="IVmControl"/>), handed to the code that builds devices so that each is
/// constructed with its real dependencies and put on a bus at once. The stage is open until the VM starts; a device
/// attached later would be seen by some vCPUs and not others, so it is refused.
/// </summary>
/// <example>
/// <code>
/// using VirtualMachine vm = new VirtualMachineBuilder().WithMemory(256 &lt;&lt; 20).WithInKernelIrqchip().Build();
/// var uart = new Uart8250(Console.OpenStandardOutput(), vm.Devices.InterruptLine(4));
/// vm.Devices.AddIoDevice(0x3f8, Uart8250.PortCount, uart).Owns(uart);
/// </code>
/// </example>
public sealed class VmDevices
{
    private readonly VirtualMachine _vm;
    private readonly Dictionary<uint, GsiInterruptLine> _lines = [];
    private readonly List<IDisposable> _owned;
    private KvmMsiSink? _msi;

    internal VmDevices(VirtualMachine vm, IEnumerable<IDisposable> owned)
    {
        _vm = vm;
        _owned = [.. owned];
    }

    /// <summary>Guest-physical memory, mapped into the VM.</summary>
    public GuestMemory Memory => _vm.Memory;

    /// <summary>Where <see cref="Memory"/> lies (for firmware interfaces that describe it).</summary>
    public GuestRamLayout RamLayout => _vm.RamLayout;

    /// <summary>The number of vCPUs.</summary>
    public int VcpuCount => _vm.Vcpus.Count;

    /// <summary>The KVM VM (ioeventfds, irqfds, capabilities).</summary>
    public KvmVm Kvm => _vm.Kvm;

    /// <summary>Whether the VM has KVM's in-kernel PIC, IOAPIC, local APICs and PIT.</summary>
    public bool HasIrqchip => _vm.HasIrqchip;

    /// <summary>Reset, power-off, debug exit and S3, for the devices that ask for them.</summary>
    public IVmControl Control => _vm;

    /// <summary>The port I/O bus.</summary>
    public IoBus IoBus => _vm.IoBus;

    /// <summary>The MMIO bus.</summary>
    public MmioBus MmioBus => _vm.MmioBus;

    /// <summary>Whether devices may still be attached (the VM has not started).</summary>
    public bool IsOpen => _vm.State == VmState.NotStarted;

    /// <summary>
    /// The interrupt line for global system interrupt <paramref name="gsi"/> of the in-kernel irqchip (ISA IRQ n is
    /// GSI n; the IOAPIC has 24 pins). Asking twice gives the same line.
    /// </summary>
    /// <exception cref="InvalidOperationException">The VM has no in-kernel irqchip.</exception>
    public GsiInterruptLine InterruptLine(uint gsi)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(gsi, 23u);
        RequireIrqchip("interrupt lines");
        lock (_lines)
        {
            if (!_lines.TryGetValue(gsi, out GsiInterruptLine? line))
            {
                line = new GsiInterruptLine(_vm.Kvm, gsi);
                _lines.Add(gsi, line);
            }

            return line;
        }
    }

    /// <summary>Where PCI devices send MSIs: <c>KVM_SIGNAL_MSI</c> into this VM.</summary>
    /// <exception cref="InvalidOperationException">The VM has no in-kernel irqchip.</exception>
    public IMsiSink MsiSink
    {
        get
        {
            RequireIrqchip("MSIs");
            return _msi ??= new KvmMsiSink(_vm.Kvm);
        }
    }

    /// <summary>Puts <paramref name="device"/> on ports [<paramref name="port"/>, +<paramref name="count"/>).</summary>
    /// <exception cref="BusConflictException">Another device has one of the ports.</exception>
    /// <exception cref="InvalidOperationException">The VM has started.</exception>
    public VmDevices AddIoDevice(ushort port, ushort count, IBusDevice device)
    {
        RequireOpen();
        IoBus.Register(port, count, device);
        return this;
    }

    /// <summary>Puts <paramref name="device"/> at MMIO [<paramref name="address"/>, +<paramref name="length"/>), outside guest RAM.</summary>
    /// <exception cref="BusConflictException">The range overlaps RAM or another device.</exception>
    /// <exception cref="InvalidOperationException">The VM has started.</exception>
    public VmDevices AddMmioDevice(ulong address, ulong length, IBusDevice device)
    {
        RequireOpen();
        CheckOutsideRam(RamLayout, address, length);
        MmioBus.Register(address, length, device);
        return this;
    }

    /// <summary>
    /// Hands <paramref name="resource"/> (a device with host threads, a back-end file) to the VM: it is paused with the
    /// VM when it is <see cref="IPausable"/>, and disposed when the VM is, after every vCPU thread has joined and before
    /// guest memory is unmapped, last added first.
    /// </summary>
    /// <exception cref="InvalidOperationException">The VM has started.</exception>
    public VmDevices Owns(IDisposable resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        RequireOpen();
        _owned.Add(resource);
        return this;
    }

    internal IReadOnlyList<IDisposable> Owned => _owned;

    internal static void CheckOutsideRam(GuestRamLayout layout, ulong address, ulong length)
    {
        if (layout.Overlaps(address, length))
        {
            throw new BusConflictException($"MMIO device at 0x{address:x} overlaps guest RAM ({layout})");
        }
    }

    // The VM's fd closes next: the lines stop sending.
    internal void CloseInterruptLines()
    {
        lock (_lines)
        {
            foreach (GsiInterruptLine line in _lines.Values)
            {
                line.Close();
            }
        }
    }

    private void RequireOpen()
    {
        if (!IsOpen)
        {
            throw new InvalidOperationException($"devices are attached before the VM starts; this one is {_vm.State}");
        }
    }

    private void RequireIrqchip(string what)
    {
        if (!HasIrqchip)
        {
            throw new InvalidOperationException($"{what} need the in-kernel irqchip: build the VM WithInKernelIrqchip()");
        }
    }
}
