using System.Runtime.CompilerServices;
using System.Buffers.Binary;
using SharpVmm.Devices.Bus;
using SharpVmm.Kvm;

namespace SharpVmm.Exits;

/// <summary>
/// The VM's coalesced write zones and the replay of KVM's ring into the buses. A zone's writes do not exit: KVM queues
/// them, and they reach their device before anything else the guest does there is handled, because every vCPU replays
/// the ring before it handles an exit (<see cref="Vcpu"/>; while one zone is registered, exits declared unable to
/// observe it skip that: <see cref="AddRegisterThatNeedsNoReplay"/>, <see cref="ConfineZone"/>), and a timer replays it
/// every <see cref="ReplayPeriod"/> or sooner so that a guest that writes and then waits without exiting is not left
/// unheard. The VM also replays it when its
/// vCPUs park (before a snapshot) and when they have stopped.
/// </summary>
internal sealed partial class CoalescedWrites : IDisposable
{
    /// <summary>How long a queued write can wait for an exit before the timer delivers it: the timer's period while the
    /// guest queues little.</summary>
    public static readonly TimeSpan ReplayPeriod = TimeSpan.FromMilliseconds(20);

    /// <summary>The timer's shortest period. While the guest queues a quarter of KVM's ring or more per period (a boot
    /// log printed at full speed), the period halves down to this, so that the timer empties the ring before it fills:
    /// a full ring makes the next write exit, and that vCPU then delivers the whole ring itself. It doubles back up to
    /// <see cref="ReplayPeriod"/> while the guest queues a sixteenth or less.</summary>
    public static readonly TimeSpan BusyReplayPeriod = TimeSpan.FromMilliseconds(2.5);

    // The most bytes one run of writes to one address carries to its device (a full ring of byte writes fits).
    private const int MaxRunBytes = 512;

    // How many writes the replay takes from KVM's ring at a time (one update of the ring's head each).
    private const int TakeAtOnce = 64;

    private readonly KvmVm _vm;
    private readonly CoalescedWriteRing _ring;
    private readonly IoBus _io;
    private readonly MmioBus _mmio;
    private readonly Lock _replayLock = new();
    private readonly Lock _zoneLock = new();
    private readonly Timer _timer;
    private long _replayed;
    private int _replaying; // 1 while a replay runs (under _replayLock): writes may be out of the ring but not yet delivered
    private bool _disposed;
    private (ushort Port, ushort Zone)[] _registersThatNeedNoReplay = [];
    private (ushort Zone, ushort First, int Count)[] _zoneScopes = [];
    private readonly List<(ulong Address, bool IsPortIo)> _zoneList = [];
    private int _onlyPortZone = -1; // the one zone's port, when exactly one zone is registered and it is a port zone

    private CoalescedWrites(KvmVm vm, CoalescedWriteRing ring, IoBus io, MmioBus mmio)
    {
        _vm = vm;
        _ring = ring;
        _io = io;
        _mmio = mmio;
        _timer = new Timer(_ => OnTimer(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Called on the timer's thread after each periodic replay, while any zone is registered or was.</summary>
    public event Action? Tick;

    /// <summary>What a device threw when the timer replayed a write to it (the timer has stopped then), or null.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>Writes delivered from the ring so far.</summary>
    public long Replayed => Interlocked.Read(ref _replayed);

    /// <summary>The replayer for <paramref name="vm"/>, or null where KVM has no coalesced port I/O.</summary>
    public static CoalescedWrites? Open(KvmVm vm, KvmVcpu anyVcpu, IoBus io, MmioBus mmio)
    {
        if (vm.CheckExtension(KvmCap.CoalescedPio) <= 0 || CoalescedWriteRing.Open(vm, anyVcpu) is not { } ring)
        {
            return null;
        }

        return new CoalescedWrites(vm, ring, io, mmio);
    }

    /// <summary>Registers a zone; false when KVM refuses it (the writes then exit as before).</summary>
    public bool TryAdd(ulong address, uint size, bool isPortIo)
    {
        lock (_zoneLock)
        {
            if (_disposed)
            {
                return false;
            }

            Volatile.Write(ref _onlyPortZone, -1); // before the new zone can queue anything
            ReplayRulesChanged?.Invoke();
            try
            {
                _vm.RegisterCoalescedZone(address, size, isPortIo);
            }
            catch (KvmException)
            {
                NoteOnlyZone();
                return false;
            }

            _zoneList.Add((address, isPortIo));
            NoteOnlyZone();
            if (_zoneList.Count == 1)
            {
                _timer.Change(_period, _period);
            }

            return true;
        }
    }

    /// <summary>Unregisters a zone added by <see cref="TryAdd"/>, then delivers what it queued.</summary>
    public void Remove(ulong address, uint size, bool isPortIo)
    {
        lock (_zoneLock)
        {
            if (_disposed)
            {
                return;
            }

            _vm.UnregisterCoalescedZone(address, size, isPortIo);
            _zoneList.Remove((address, isPortIo));
            NoteOnlyZone();
        }

        Replay();
    }

    // Under _zoneLock: the one registered zone's port, where there is exactly one and it is a port zone.
    private void NoteOnlyZone()
    {
        Volatile.Write(ref _onlyPortZone, _zoneList.Count == 1 && _zoneList[0].IsPortIo ? (int)_zoneList[0].Address : -1);
        ReplayRulesChanged?.Invoke();
    }

    /// <summary>
    /// Declares that the register at <paramref name="port"/> does not depend on the writes KVM queues for the zone at
    /// <paramref name="zonePort"/>: while that is the only zone registered, a vCPU answers a read of it, or drops a write
    /// that puts back its own value (<see cref="PublishedRegister.IsRewrite"/>), without delivering the queue first, and
    /// the writes reach their device in larger batches (at the timer, at the next other exit, or when KVM's ring is
    /// full and the next write exits). A UART's LSR, for one, reads the same whatever was written to its THR meanwhile,
    /// and so do its interrupt enables. With other zones registered every access replays first, as their writes may
    /// matter to it.
    /// </summary>
    public void AddRegisterThatNeedsNoReplay(ushort port, ushort zonePort)
    {
        lock (_zoneLock)
        {
            if (!_registersThatNeedNoReplay.Contains((port, zonePort)))
            {
                _registersThatNeedNoReplay = [.. _registersThatNeedNoReplay, (port, zonePort)]; // copied, for the exit path's lock-free read
                ReplayRulesChanged?.Invoke();
            }
        }
    }

    /// <summary>
    /// Declares that the writes KVM queues for the zone at <paramref name="zonePort"/> matter only to the device at the
    /// <paramref name="count"/> ports from <paramref name="firstPort"/>: no other access, port or MMIO, and no other exit
    /// can observe them. While that is the only zone registered, a vCPU handles any exit outside that range without
    /// delivering the queue first; the timer, a full ring, an access to the device itself, and the VM's stop deliver
    /// it. A UART's THR, for one, changes nothing but the UART: its output, and its THR-empty interrupt, which is off
    /// while its writes are coalesced.
    /// </summary>
    public void ConfineZone(ushort zonePort, ushort firstPort, int count)
    {
        lock (_zoneLock)
        {
            _zoneScopes = [.. _zoneScopes.Where(s => s.Zone != zonePort), (zonePort, firstPort, count)]; // copied, for the exit path
            ReplayRulesChanged?.Invoke();
        }
    }

    /// <summary>For the exit path: delivers the queued writes unless <paramref name="exit"/> cannot observe them: a read
    /// of a register declared not to depend on them (<see cref="AddRegisterThatNeedsNoReplay"/>), or any exit outside
    /// the one zone's confines (<see cref="ConfineZone"/>).</summary>
    public void ReplayBefore(in VcpuExit exit)
    {
        if (!MayHandleWithoutReplay(exit))
        {
            Replay(); // nothing to do where everything is delivered already
        }
    }

    private bool MayHandleWithoutReplay(in VcpuExit exit)
    {
        if (Volatile.Read(ref _onlyPortZone) is not (>= 0 and int zone))
        {
            return false;
        }

        if (exit.Reason != KvmExitReason.Io)
        {
            return ScopeOf((ushort)zone) is not null; // MMIO, HLT...: nothing there reaches a confined port zone's device
        }

        ushort port = exit.IoPort;
        return IsOutsideScope(port, (ushort)zone) || (!exit.IoIsWrite && NeedsNoReplay(port, (ushort)zone));
    }

    /// <summary>Raised, under the zones' lock, when what <see cref="MayAnswerWithoutReplay"/> says may have changed: a
    /// zone is about to be registered, or the zones or the declarations changed.</summary>
    public event Action? ReplayRulesChanged;

    /// <summary>Whether, by the zones and the declarations alone, a read of <paramref name="port"/> or a write there
    /// that changes nothing never needs the queue delivered first: the port is outside the only zone's confines or
    /// declared not to depend on it. Until <see cref="ReplayRulesChanged"/> is raised.</summary>
    public bool MayAnswerWithoutReplay(ushort port) =>
        Volatile.Read(ref _onlyPortZone) is >= 0 and int zone && (NeedsNoReplay(port, (ushort)zone) || IsOutsideScope(port, (ushort)zone));

    /// <summary>For the exit path: whether a read of <paramref name="port"/>, or a write there that changes nothing, may
    /// be handled now without delivering the queue first (it is empty, the port is outside the one zone's confines, or
    /// the register is declared not to depend on it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // the exit path's commonest case: one stretch of code
    public bool MayAccessWithoutReplay(ushort port) =>
        // The declarations first: they are in this object, while the ring's head and tail are on a page of their own.
        (Volatile.Read(ref _onlyPortZone) is >= 0 and int zone && (NeedsNoReplay(port, (ushort)zone) || IsOutsideScope(port, (ushort)zone)))
        || IsDelivered;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsOutsideScope(ushort port, ushort zone) =>
        ScopeOf(zone) is (ushort first, int count) && (port < first || port >= first + count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private (ushort First, int Count)? ScopeOf(ushort zone)
    {
        foreach ((ushort scopeZone, ushort first, int count) in _zoneScopes)
        {
            if (scopeZone == zone)
            {
                return (first, count);
            }
        }

        return null;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] // the exit path's commonest case: one stretch of code
    private bool NeedsNoReplay(ushort port, ushort zone)
    {
        foreach ((ushort register, ushort registerZone) in _registersThatNeedNoReplay)
        {
            if (register == port && registerZone == zone)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Delivers every queued write to its bus, oldest first. Consecutive writes to one address go to their device as
    /// one run (<see cref="DeviceBus.WriteRepeated"/>). Allocation-free, and nearly free when the ring is empty; any
    /// thread may call it.
    /// </summary>
    public void Replay()
    {
        if (IsDelivered)
        {
            return;
        }

        lock (_replayLock)
        {
            if (_replaying > 0)
            {
                return; // a device replaying from within a delivery: the replay it is part of goes on with the rest, in order
            }

            Volatile.Write(ref _replaying, _replaying + 1); // under the lock; before anything leaves the ring: see IsDelivered
            try
            {
                ReplayLocked();
            }
            finally
            {
                Volatile.Write(ref _replaying, _replaying - 1);
            }
        }
    }

    // Whether every queued write has reached its device: the ring is empty and no replay holds writes it took from it
    // (the ring is read first, so a replay that empties it is seen).
    private bool IsDelivered
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _ring.IsEmpty && Volatile.Read(ref _replaying) == 0;
    }

    private void ReplayLocked()
    {
        Span<byte> bytes = stackalloc byte[8];
        Span<byte> run = stackalloc byte[MaxRunBytes];
        Span<CoalescedWrite> batch = stackalloc CoalescedWrite[TakeAtOnce];
        int runLength = 0, runWrites = 0;
        CoalescedWrite first = default;
        int taken;
        while ((taken = _ring.Take(batch)) > 0)
        {
            foreach (CoalescedWrite write in batch[..taken])
            {
                if (runLength > 0 && (write.Address != first.Address || write.IsPortIo != first.IsPortIo
                    || write.Length != first.Length || runLength + write.Length > MaxRunBytes))
                {
                    Deliver(first, run[..runLength], runWrites);
                    runLength = runWrites = 0;
                }

                if (runLength == 0)
                {
                    first = write;
                }

                if (write.Length == 1)
                {
                    run[runLength] = (byte)write.Data; // a UART's byte: the common case, without a copy call
                }
                else
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(bytes, write.Data);
                    bytes[..write.Length].CopyTo(run[runLength..]);
                }

                runLength += write.Length;
                runWrites++;
            }
        }

        if (runLength > 0)
        {
            Deliver(first, run[..runLength], runWrites);
        }
    }

    // Under _replayLock. A device that throws loses the writes taken with its run (the VM stops with its failure).
    private void Deliver(CoalescedWrite first, ReadOnlySpan<byte> run, int writes)
    {
        DeviceBus bus = first.IsPortIo ? _io : _mmio;
        bus.WriteRepeated(first.Address, first.Length, run);
        _replayed += writes;
    }

    /// <summary>Stops the timer (waiting for a replay in progress), then delivers what is left. Call once the vCPUs
    /// have stopped and before their mappings, where the ring lives, are released.</summary>
    public void Dispose()
    {
        lock (_zoneLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        using (var done = new ManualResetEvent(false))
        {
            if (_timer.Dispose(done))
            {
                done.WaitOne();
            }
        }

        Replay();
    }
}
