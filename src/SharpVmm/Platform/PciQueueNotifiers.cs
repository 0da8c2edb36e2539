using System.Runtime.InteropServices;
using SharpVmm.Devices.Bus;
using SharpVmm.Devices.Virtio.Pci;
using SharpVmm.Kvm;

namespace SharpVmm.Platform;

/// <summary>
/// The ioeventfds of one virtio-pci function's queue notify registers, which follow BAR 0 where the guest moves it.
/// They are registered all together or not at all, and only where the PCI bus really decodes the BAR: a BAR moved
/// onto another device's range is not decoded, and ioeventfds there would steal that device's writes. When KVM
/// refuses a registration (EEXIST: another ioeventfd on the same address), the ones made are taken back and the
/// function's notifications stay trapped (ordinary MMIO exits to the transport) until the next move; the VM goes on.
/// </summary>
internal sealed class PciQueueNotifiers
{
    private readonly KvmVm _kvm;
    private readonly MmioBus _mmio;
    private readonly VirtioPciDevice _function;
    private readonly IReadOnlyList<SafeHandle> _notifiers; // by queue index
    private readonly Lock _lock = new();
    private ulong _registeredAt; // the notify base (BAR 0 + NotifyOffset) every ioeventfd is on; 0 when none is
    private long _fallbacks;

    /// <summary>Watches <paramref name="function"/>'s BAR 0 and registers its queue <paramref name="notifiers"/> where it is decoded now.</summary>
    public PciQueueNotifiers(KvmVm kvm, MmioBus mmio, VirtioPciDevice function, IReadOnlyList<SafeHandle> notifiers)
    {
        _kvm = kvm;
        _mmio = mmio;
        _function = function;
        _notifiers = notifiers;
        ulong notifyBase = function.NotifyAddress(0);
        lock (_lock)
        {
            Follow(notifyBase);
        }

        function.NotifyRegionMoved += (_, newBase) =>
        {
            lock (_lock)
            {
                Follow(newBase);
            }
        };
    }

    /// <summary>Times KVM refused this function's ioeventfds, so that its notifications fell back to trapped writes.</summary>
    public long Fallbacks => Interlocked.Read(ref _fallbacks);

    /// <summary>Whether the ioeventfds are registered now (false: BAR 0 is off, not decoded, or the fallback holds).</summary>
    public bool Active
    {
        get
        {
            lock (_lock)
            {
                return _registeredAt != 0;
            }
        }
    }

    // Under _lock. From wherever they are to newBase (0: BAR 0 decoding off).
    private void Follow(ulong newBase)
    {
        if (_registeredAt != 0)
        {
            for (int q = 0; q < _notifiers.Count; q++)
            {
                Remove(q, _registeredAt);
            }

            _registeredAt = 0;
        }

        if (newBase == 0 || !DecodedAt(newBase))
        {
            return;
        }

        for (int q = 0; q < _notifiers.Count; q++)
        {
            try
            {
                _kvm.AddIoEventFd(_notifiers[q], At(newBase, q), 2, isPortIo: false, dataMatch: null);
            }
            catch (KvmException)
            {
                for (int done = 0; done < q; done++)
                {
                    Remove(done, newBase);
                }

                Interlocked.Increment(ref _fallbacks);
                return;
            }
        }

        _registeredAt = newBase;
    }

    private void Remove(int queue, ulong notifyBase)
    {
        try
        {
            _kvm.RemoveIoEventFd(_notifiers[queue], At(notifyBase, queue), 2, isPortIo: false, dataMatch: null);
        }
        catch (KvmException)
        {
            // ENOENT: not registered, which is what was wanted.
        }
    }

    // Whether the MMIO bus hands newBase to this function's BAR 0 (the PCI bus has already placed or refused it).
    private bool DecodedAt(ulong notifyBase)
    {
        IBusDevice? bar0 = null;
        foreach (Devices.Pci.PciBar bar in _function.Bars)
        {
            bar0 = bar.Index == 0 ? bar.Region : bar0;
        }

        return bar0 is not null && _mmio.Find(notifyBase)?.Device == bar0;
    }

    // virtio-pci: a register per queue (notify_off_multiplier 4); the driver writes the 16-bit queue index.
    private static ulong At(ulong notifyBase, int queue) => notifyBase + (VirtioPciLayout.NotifyOffMultiplier * (ulong)queue);
}
