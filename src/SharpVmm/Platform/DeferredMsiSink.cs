using SharpVmm.Devices.Pci;

namespace SharpVmm.Platform;

/// <summary>An MSI sink a PCI device gets before the VM exists; messages reach KVM once <see cref="Connect"/> has been called.</summary>
internal sealed class DeferredMsiSink : IMsiSink
{
    private volatile IMsiSink? _target;
    private long _dropped;

    /// <summary>Messages sent before the VM existed (none, in practice: the guest cannot enable MSI-X before it runs).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public void Connect(IMsiSink target) => _target = target;

    public void Send(MsiMessage message)
    {
        if (_target is { } target)
        {
            target.Send(message);
        }
        else
        {
            Interlocked.Increment(ref _dropped);
        }
    }
}
