using SharpVmm.Devices;
using SharpVmm.Kvm;

namespace SharpVmm.Platform;

/// <summary>
/// An interrupt line wired to global system interrupt <see cref="Gsi"/> of a VM's in-kernel irqchip
/// (<c>KVM_IRQ_LINE</c>; under KVM's default routing GSI n is PIC pin n for n &lt; 16 and IOAPIC pin n). It is made
/// by <see cref="VmDevices.InterruptLine"/> once the irqchip exists, so every level change reaches KVM from the first
/// one; only changes are sent. When the VM is disposed the line is closed with it, and later changes (a host thread
/// typing on a console after the end) are counted but sent nowhere.
/// </summary>
public sealed class GsiInterruptLine : IInterruptLine
{
    private readonly Lock _lock = new();
    private readonly KvmVm _vm;
    private bool _high;
    private bool _closed;

    internal GsiInterruptLine(KvmVm vm, uint gsi)
    {
        _vm = vm;
        Gsi = gsi;
    }

    /// <summary>The global system interrupt number.</summary>
    public uint Gsi { get; }

    /// <summary>Times the line went high (each is an edge the guest can see).</summary>
    public long RisingEdges { get; private set; }

    /// <inheritdoc />
    public void SetLevel(bool high)
    {
        lock (_lock)
        {
            if (_high == high)
            {
                return;
            }

            _high = high;
            if (high)
            {
                RisingEdges++;
            }

            if (!_closed)
            {
                _vm.SetIrqLine(Gsi, high);
            }
        }
    }

    // The VM's file descriptor is about to close: no ioctl may reach its number afterwards.
    internal void Close()
    {
        lock (_lock)
        {
            _closed = true;
        }
    }
}
