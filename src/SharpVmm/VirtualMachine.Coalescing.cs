using SharpVmm.Exits;

namespace SharpVmm;

// Coalesced writes: zones whose writes KVM queues instead of exiting, replayed in order.
public sealed partial class VirtualMachine
{
    private readonly Lock _coalescingLock = new();
    private volatile CoalescedWrites? _coalesced;
    private bool _coalescingProbed;

    /// <summary>Writes the guest made to coalesced zones (<see cref="TryCoalesceWrites"/>) and that reached their
    /// device, each without an exit.</summary>
    public long CoalescedWriteCount => _coalesced?.Replayed ?? 0;

    /// <summary>The replayer, opened on first use; null where KVM has no coalesced port I/O.</summary>
    internal CoalescedWrites? CoalescedWriteReplay
    {
        get
        {
            lock (_coalescingLock)
            {
                if (!_coalescingProbed && !_disposed)
                {
                    _coalescingProbed = true;
                    CoalescedWrites? opened = CoalescedWrites.Open(_vm, _vcpus[0].Kvm, IoBus, MmioBus);
                    if (opened is not null)
                    {
                        opened.ReplayRulesChanged += MarkRunLoopsStale;
                        _coalesced = opened;
                        MarkRunLoopsStale(); // answered without replay until now, not before a zone is registered
                    }
                }

                return _coalesced;
            }
        }
    }

    /// <summary>For the exit path: the replayer if one was opened (no lock, no probing).</summary>
    internal CoalescedWrites? ActiveCoalescedWrites => _coalesced;

    /// <summary>
    /// Lets KVM queue the guest's writes to <paramref name="size"/> bytes at <paramref name="address"/> instead of
    /// exiting for each (<c>KVM_REGISTER_COALESCED_MMIO</c>). The device still sees every write, in the guest's order
    /// and before the next exit any vCPU handles (while every zone is confined to its device, as the platform's are,
    /// before the next access to a device that can observe them: <see cref="Platform.SerialWriteCoalescing"/>,
    /// <see cref="Platform.IndexRegisterCoalescing"/>); a timer delivers writes that no exit follows within 20 ms. Reads
    /// still exit. Use it only where the guest needs no effect of a write (an interrupt, a changed register) before
    /// its next access to the device.
    /// </summary>
    /// <param name="address">A port (<paramref name="isPortIo"/>) or a guest-physical MMIO address.</param>
    /// <param name="size">Length of the zone in bytes.</param>
    /// <param name="isPortIo">A port range rather than MMIO.</param>
    /// <returns>False where KVM cannot coalesce writes (no <c>KVM_CAP_COALESCED_PIO</c>) or refuses the zone; the
    /// writes then exit as before.</returns>
    public bool TryCoalesceWrites(ulong address, uint size, bool isPortIo) =>
        CoalescedWriteReplay?.TryAdd(address, size, isPortIo) ?? false;

    /// <summary>Ends coalescing for a zone <see cref="TryCoalesceWrites"/> registered, and delivers what it queued.</summary>
    /// <param name="address">The zone's first port or address.</param>
    /// <param name="size">The zone's length.</param>
    /// <param name="isPortIo">A port range.</param>
    public void StopCoalescingWrites(ulong address, uint size, bool isPortIo) =>
        _coalesced?.Remove(address, size, isPortIo);

    // After the vCPUs parked or stopped: nothing may stay queued behind them.
    private void ReplayCoalescedWrites() => _coalesced?.Replay();
}
