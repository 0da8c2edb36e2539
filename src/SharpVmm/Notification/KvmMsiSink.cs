using SharpVmm.Devices.Pci;
using SharpVmm.Kvm;

namespace SharpVmm.Notification;

/// <summary>
/// Delivers MSIs with <c>KVM_SIGNAL_MSI</c>. A message no APIC accepts (the guest masked it or aimed it nowhere) is
/// counted in <see cref="Blocked"/>, as hardware drops it. Thread-safe.
/// </summary>
public sealed class KvmMsiSink : IMsiSink
{
    private readonly KvmVm _vm;
    private long _delivered;
    private long _blocked;

    /// <summary>Creates a sink that signals MSIs into <paramref name="vm"/> (which needs the in-kernel irqchip).</summary>
    public KvmMsiSink(KvmVm vm)
    {
        ArgumentNullException.ThrowIfNull(vm);
        _vm = vm;
    }

    /// <summary>Messages KVM delivered to at least one vCPU.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Messages the guest blocked (no destination accepted them).</summary>
    public long Blocked => Interlocked.Read(ref _blocked);

    /// <inheritdoc />
    /// <exception cref="KvmException">KVM refused the call itself (no in-kernel irqchip).</exception>
    public void Send(MsiMessage message)
    {
        if (_vm.SignalMsi(message.Address, message.Data))
        {
            Interlocked.Increment(ref _delivered);
        }
        else
        {
            Interlocked.Increment(ref _blocked);
        }
    }
}
