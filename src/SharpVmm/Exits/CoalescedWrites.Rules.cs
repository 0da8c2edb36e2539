using System.Runtime.CompilerServices;
using SharpVmm.Devices.Bus;
using SharpVmm.Kvm;

namespace SharpVmm.Exits;

// Which exits may be handled before the queued writes are delivered: the zones' confines, the registers declared not
// to depend on them, and the zones on their way out.
internal sealed partial class CoalescedWrites
{
    private (ushort Port, ushort Zone)[] _registersThatNeedNoReplay = [];
    private (ushort Zone, ushort First, int Count)[] _zoneScopes = [];
    private readonly List<(ulong Address, bool IsPortIo)> _leaving = [];

    // What the exit path reads, rebuilt under _zoneLock (NoteRules): the confines of every registered zone where each is
    // a confined port zone and none is leaving; null otherwise, and while no zone is registered (every access then
    // replays first, or finds the ring empty).
    private (ushort Zone, ushort First, int Count)[]? _confinedZones;

    /// <summary>Raised, under the zones' lock, when what <see cref="MayAnswerWithoutReplay"/> says may have changed: a
    /// zone is about to be registered, one is leaving, or the zones or the declarations changed.</summary>
    public event Action? ReplayRulesChanged;

    /// <summary>
    /// Declares that the register at <paramref name="port"/> does not depend on the writes KVM queues for the zone at
    /// <paramref name="zonePort"/>: where that zone's confines hold it, a vCPU answers a read of it, or drops a write
    /// that puts back its own value (<see cref="PublishedRegister.IsRewrite"/>), without delivering the queue first, and
    /// the writes reach their device in larger batches (at the timer, at the next other exit, or when KVM's ring is
    /// full and the next write exits). A UART's LSR, for one, reads the same whatever was written to its THR meanwhile,
    /// and so do its interrupt enables.
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
    /// can observe them. While every registered zone is so confined, a vCPU handles any exit outside all their confines
    /// without delivering the queue first; the timer, a full ring, an access within a zone's confines, and the VM's
    /// stop deliver it. A UART's THR, for one, changes nothing but the UART (its output, and its THR-empty interrupt,
    /// which is off while its writes are coalesced); an index register (the RTC's at 0x70, PCI's CONFIG_ADDRESS) changes
    /// nothing but which register its data port reaches. Declare it before the zone is registered, so that the zone is
    /// never seen unconfined.
    /// </summary>
    public void ConfineZone(ushort zonePort, ushort firstPort, int count)
    {
        lock (_zoneLock)
        {
            _zoneScopes = [.. _zoneScopes.Where(s => s.Zone != zonePort), (zonePort, firstPort, count)];
            NoteRules();
        }
    }

    /// <summary>
    /// Says that the writes to the zone at <paramref name="address"/> may now matter to anything: until it is removed
    /// (<see cref="Remove"/>, from another thread where unregistering it would cost the vCPU too much) or
    /// <see cref="StayAfterAll"/>, every exit delivers the queue first. Also for a zone about to be registered whose
    /// confines do not hold yet.
    /// </summary>
    public void MarkLeaving(ulong address, bool isPortIo)
    {
        lock (_zoneLock)
        {
            if (!_leaving.Contains((address, isPortIo)))
            {
                _leaving.Add((address, isPortIo));
                NoteRules();
            }
        }
    }

    /// <summary>Withdraws <see cref="MarkLeaving"/> for a zone that is to stay after all: its confines and declarations
    /// hold again.</summary>
    public void StayAfterAll(ulong address, bool isPortIo)
    {
        lock (_zoneLock)
        {
            if (_leaving.Remove((address, isPortIo)))
            {
                NoteRules();
            }
        }
    }

    // Under _zoneLock, after any change to the zones, their confines or the leaving ones.
    private void NoteRules()
    {
        (ushort Zone, ushort First, int Count)[]? confined = _zoneList.Count > 0 && _leaving.Count == 0 && _changing == 0
            ? new (ushort, ushort, int)[_zoneList.Count] : null;
        for (int i = 0; confined is not null && i < _zoneList.Count; i++)
        {
            (ulong address, bool isPortIo) = _zoneList[i];
            int scope = Array.FindIndex(_zoneScopes, s => s.Zone == address);
            confined = isPortIo && scope >= 0 ? confined : null;
            if (confined is not null)
            {
                confined[i] = _zoneScopes[scope];
            }
        }

        Volatile.Write(ref _confinedZones, confined);
        ReplayRulesChanged?.Invoke();
    }

    /// <summary>For the exit path: delivers the queued writes unless <paramref name="exit"/> cannot observe them: a read
    /// of a register declared not to depend on them (<see cref="AddRegisterThatNeedsNoReplay"/>), or any exit outside
    /// the confines of every zone (<see cref="ConfineZone"/>).</summary>
    public void ReplayBefore(in VcpuExit exit)
    {
        if (!MayHandleWithoutReplay(exit))
        {
            Replay(); // nothing to do where everything is delivered already
        }
    }

    private bool MayHandleWithoutReplay(in VcpuExit exit)
    {
        if (Volatile.Read(ref _confinedZones) is not { } zones)
        {
            return false;
        }

        if (exit.Reason != KvmExitReason.Io)
        {
            return true; // MMIO, HLT...: nothing there reaches a confined port zone's device
        }

        return exit.IoIsWrite ? IsOutsideAll(zones, exit.IoPort) : MayAnswer(zones, exit.IoPort);
    }

    /// <summary>Whether, by the zones and the declarations alone, a read of <paramref name="port"/> or a write there
    /// that changes nothing never needs the queue delivered first: for every zone, the port is outside its confines or
    /// declared not to depend on it. Until <see cref="ReplayRulesChanged"/> is raised.</summary>
    public bool MayAnswerWithoutReplay(ushort port) => Volatile.Read(ref _confinedZones) is { } zones && MayAnswer(zones, port);

    /// <summary>What <see cref="MayAnswerWithoutReplay"/> and <see cref="AnswerableWithoutReplay"/> go by now: the
    /// confines of the zones (null while they do not hold) and the declarations. Each is replaced, never changed, when
    /// the rules change, so equal confines and the same declarations give the same answers.</summary>
    public ((ushort Zone, ushort First, int Count)[]? Zones, (ushort Port, ushort Zone)[] Declarations) AnswerRules =>
        (Volatile.Read(ref _confinedZones), Volatile.Read(ref _registersThatNeedNoReplay));

    /// <summary><see cref="MayAnswerWithoutReplay"/> by confines taken from <see cref="AnswerRules"/>.</summary>
    public bool MayAnswerWithoutReplayUnder((ushort Zone, ushort First, int Count)[]? zones, ushort port) => zones is not null && MayAnswer(zones, port);

    /// <summary>For the exit path: whether a read of <paramref name="port"/>, or a write there that changes nothing, may
    /// be handled now without delivering the queue first (it is empty, or <see cref="MayAnswerWithoutReplay"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // the exit path's commonest case: one stretch of code
    public bool MayAccessWithoutReplay(ushort port) =>
        // The declarations first: they are in this object, while the ring's head and tail are on a page of their own.
        (Volatile.Read(ref _confinedZones) is { } zones && MayAnswer(zones, port)) || IsDelivered;

    /// <summary>Of <paramref name="ranges"/> (sorted, apart), as ranges, the ports for which
    /// <see cref="MayAnswerWithoutReplay"/> holds by the confines <paramref name="zones"/> (<see cref="AnswerRules"/>)
    /// alone: those outside every zone's confines, and none while the confines do not hold. For ports no device claims,
    /// which no declaration names.</summary>
    public static List<(ushort First, ushort Last)> AnswerableWithoutReplay((ushort Zone, ushort First, int Count)[]? zones, List<(ushort First, ushort Last)> ranges)
    {
        if (zones is null)
        {
            return [];
        }

        foreach ((_, ushort first, int count) in zones)
        {
            int last = first + count - 1;
            var outside = new List<(ushort First, ushort Last)>(ranges.Count + 1);
            foreach ((ushort from, ushort to) in ranges)
            {
                if (to < first || from > last)
                {
                    outside.Add((from, to));
                    continue;
                }

                if (from < first)
                {
                    outside.Add((from, (ushort)(first - 1)));
                }

                if (to > last)
                {
                    outside.Add(((ushort)(last + 1), to));
                }
            }

            ranges = outside;
        }

        return ranges;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool MayAnswer((ushort Zone, ushort First, int Count)[] zones, ushort port)
    {
        foreach ((ushort zone, ushort first, int count) in zones)
        {
            if (port >= first && port < first + count && !NeedsNoReplay(port, zone))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsOutsideAll((ushort Zone, ushort First, int Count)[] zones, ushort port)
    {
        foreach ((_, ushort first, int count) in zones)
        {
            if (port >= first && port < first + count)
            {
                return false;
            }
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
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
}
