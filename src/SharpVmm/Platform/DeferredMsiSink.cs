using SharpVmm.Devices.Pci;

namespace SharpVmm.Platform;

/// <summary>
/// An MSI sink a PCI device gets before the VM exists; messages reach KVM once <see cref="Connect"/> has been called
/// (when the VM is built, before any vCPU runs, so no guest can have enabled MSI-X earlier).
/// </summary>
internal sealed class DeferredMsiSink : IMsiSink
{
    private volatile IMsiSink? _target;

    public void Connect(IMsiSink target) => _target = target;

    public void Send(MsiMessage message) => _target?.Send(message);
}
