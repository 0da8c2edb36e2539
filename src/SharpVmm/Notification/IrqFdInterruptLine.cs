using SharpVmm.Devices;
using SharpVmm.Kvm;
using SharpVmm.Sys;

namespace SharpVmm.Notification;

/// <summary>
/// An edge-triggered interrupt line over an irqfd (<c>KVM_IRQFD</c>): each rising <see cref="SetLevel"/> (or
/// <see cref="Pulse"/>) writes the eventfd once and KVM injects one edge on <see cref="Gsi"/> without a syscall into
/// the irqchip from here, as Firecracker does for virtio-mmio. Going low does nothing: the line has no level, so
/// it suits devices that pulse (virtio), not level-triggered ones that hold a line while they need service.
/// </summary>
public sealed class IrqFdInterruptLine : IInterruptLine, IDisposable
{
    private readonly KvmVm _vm;
    private readonly EventFd _eventFd;
    private long _edges;
    private bool _disposed;

    /// <summary>Creates an eventfd and binds it to <paramref name="gsi"/> of <paramref name="vm"/>.</summary>
    /// <exception cref="KvmException">KVM_IRQFD failed (no in-kernel irqchip, or eventfd creation failed).</exception>
    public IrqFdInterruptLine(KvmVm vm, uint gsi)
    {
        ArgumentNullException.ThrowIfNull(vm);
        _vm = vm;
        Gsi = gsi;
        _eventFd = new EventFd();
        try
        {
            vm.AddIrqFd(_eventFd, gsi);
        }
        catch
        {
            _eventFd.Dispose();
            throw;
        }
    }

    /// <summary>The global system interrupt the line raises (routed by the GSI routing table).</summary>
    public uint Gsi { get; }

    /// <summary>Edges sent to KVM.</summary>
    public long Edges => Interlocked.Read(ref _edges);

    /// <summary>Sends one edge when <paramref name="high"/>; a low level is ignored.</summary>
    public void SetLevel(bool high)
    {
        if (high)
        {
            Pulse();
        }
    }

    /// <summary>Sends one edge.</summary>
    public void Pulse()
    {
        _eventFd.Signal();
        Interlocked.Increment(ref _edges);
    }

    /// <summary>Unbinds the irqfd and closes the eventfd.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            _vm.RemoveIrqFd(_eventFd, Gsi);
        }
        catch (KvmException)
        {
            // The VM may already be gone; closing the eventfd releases KVM's side as well.
        }

        _eventFd.Dispose();
    }
}
