using SharpVmm.Devices;

namespace SharpVmm.Platform;

/// <summary>
/// An interrupt line a device gets before the VM exists, whose path to KVM is chosen when the VM is built: a
/// <c>KVM_IRQ_LINE</c> line first, an irqfd once one is bound (<see cref="Switch"/>).
/// </summary>
internal sealed class SwitchableInterruptLine(IInterruptLine initial) : IInterruptLine
{
    private volatile IInterruptLine _target = initial;

    public void Switch(IInterruptLine target) => _target = target;

    public void SetLevel(bool high) => _target.SetLevel(high);
}
