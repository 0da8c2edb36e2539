using System.Runtime.CompilerServices;
using System.Buffers.Binary;
using SharpVmm.Devices.Bus;
using SharpVmm.Kvm;

namespace SharpVmm.Exits;

/// <summary>
/// The VM's coalesced write zones and the replay of KVM's ring into the buses. A zone's writes do not exit: KVM queues
/// them, and they reach their device before anything else the guest does there is handled, because every vCPU replays
/// the ring before it handles an exit (<see cref="Vcpu"/>; while every zone registered is confined to its device, exits
/// that cannot observe any of them skip that: <see cref="AddRegisterThatNeedsNoReplay"/>, <see cref="ConfineZone"/>),
/// and a timer replays it every <see cref="ReplayPeriod"/> or sooner so that a guest that writes and then waits without
/// exiting is not left unheard. The VM also replays it when its vCPUs park (before a snapshot) and when they have
/// stopped.
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
    private readonly Lock _zoneLock = new(); // the zones' list and rules: held briefly; the exit path reads the rules without it
    private readonly Lock _kvmZoneLock = new(); // taken before _zoneLock: one zone registered or unregistered at a time
    private int _changing; // zones being registered (under _zoneLock): the rules stay off meanwhile
    private readonly Timer _timer;
    private long _replayed;
    private int _replaying; // 1 while a replay runs (under _replayLock): writes may be out of the ring but not yet delivered
    private bool _disposed;
    private readonly List<(ulong Address, bool IsPortIo)> _zoneList = [];

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

    /// <summary>Registers a zone; false when KVM refuses it (the writes then exit as before). Any thread; the exit path
    /// does not wait for it (registering waits for KVM's SRCU grace period).</summary>
    public bool TryAdd(ulong address, uint size, bool isPortIo)
    {
        lock (_kvmZoneLock)
        {
            lock (_zoneLock)
            {
                if (_disposed)
                {
                    return false;
                }

                _changing++; // the rules stay off until the zone is in the list: it may queue writes before that
                NoteRules();
            }

            bool registered = true;
            try
            {
                _vm.RegisterCoalescedZone(address, size, isPortIo);
            }
            catch (KvmException)
            {
                registered = false;
            }

            lock (_zoneLock)
            {
                _changing--;
                if (registered)
                {
                    _zoneList.Add((address, isPortIo));
                    if (_zoneList.Count == 1)
                    {
                        _timer.Change(_period, _period);
                    }
                }

                NoteRules();
                return registered;
            }
        }
    }

    /// <summary>Unregisters a zone added by <see cref="TryAdd"/>, then delivers what it queued. Any thread; the exit
    /// path does not wait for it.</summary>
    public void Remove(ulong address, uint size, bool isPortIo)
    {
        lock (_kvmZoneLock)
        {
            lock (_zoneLock)
            {
                if (_disposed)
                {
                    return;
                }
            }

            _vm.UnregisterCoalescedZone(address, size, isPortIo);

            // What the zone queued reaches its device before its rules go: until then an exit that the zone's writes
            // may precede (a THR write that exits now, a read of the UART) still delivers the queue first. Under
            // _kvmZoneLock, which Dispose takes: no replay after the ring is gone.
            Replay();
            lock (_zoneLock)
            {
                _zoneList.Remove((address, isPortIo));
                _leaving.Remove((address, isPortIo));
                NoteRules();
            }
        }
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
        lock (_kvmZoneLock) // after a zone change in progress
        {
            lock (_zoneLock)
            {
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
            }
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
