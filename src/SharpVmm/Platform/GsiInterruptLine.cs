using SharpVmm.Devices;
using SharpVmm.Kvm;

namespace SharpVmm.Platform;

/// <summary>
/// An interrupt line wired to global system interrupt <see cref="Gsi"/> of KVM's in-kernel irqchip
/// (<c>KVM_IRQ_LINE</c>; under KVM's default routing GSI n is PIC pin n for n &lt; 16 and IOAPIC pin n).
/// Devices get it before the VM exists (<see cref="VirtualMachineBuilder.InterruptLine"/>); it is connected when
/// the VM is built, and a level set before that is delivered then. Only level changes reach KVM.
/// </summary>
public sealed class GsiInterruptLine : IInterruptLine
{
    private readonly Lock _lock = new();
    private KvmVm? _vm;
    private bool _high;

    internal GsiInterruptLine(uint gsi) => Gsi = gsi;

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

            _vm?.SetIrqLine(Gsi, high);
        }
    }

    internal void Connect(KvmVm vm)
    {
        lock (_lock)
        {
            _vm = vm;
            if (_high)
            {
                vm.SetIrqLine(Gsi, true);
            }
        }
    }

    internal void Disconnect()
    {
        lock (_lock)
        {
            _vm = null;
        }
    }
}
