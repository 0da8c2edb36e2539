using SharpVmm.Devices.Bus;
using SharpVmm.Exits;
using SharpVmm.Kvm;

namespace SharpVmm;

// Published ports: the registers each vCPU's run loop answers itself (PublishedPortRunLoop), and when they change.
public sealed partial class VirtualMachine
{
    /// <summary>
    /// Whether a vCPU may answer exits in its run loop, without the dispatcher: not while every access is traced, a
    /// debugger is attached, or the run counts its exits to a limit (each would miss the exits the loop answers).
    /// </summary>
    internal bool AnswersInRunLoop => _maxExits == long.MaxValue && Debugger is null && !Dispatcher.TracesAccesses;

    private readonly Lock _runLoopTableLock = new();
    private int _portBusVersion; // raised whenever the port bus's registrations or published registers change
    private (RunLoopTable Table, int BusVersion, (ushort Zone, ushort First, int Count)[]? Zones, (ushort Port, ushort Zone)[]? Declarations)? _lastRunLoopTable;

    /// <summary>
    /// What the run loops answer now (<see cref="RunLoopTable"/>): the registers the port bus publishes, each only where
    /// its accesses need no coalesced write delivered first (<see cref="CoalescedWrites.MayAnswerWithoutReplay"/>), and
    /// the ranges of ports no device claims, less any a zone's confines reach. The same object as last time while
    /// neither the port bus nor the coalescing rules have changed since, or have changed back: a THR-empty interrupt
    /// turned on and off again, as a UART driver's probe and every interrupt-driven burst of output do, ends coalescing's
    /// confines and restores them, and costs each vCPU two tables it already had.
    /// </summary>
    internal RunLoopTable RunLoopTableNow()
    {
        int busVersion = Volatile.Read(ref _portBusVersion); // before the bus is read: a change from now on raises it
        CoalescedWrites? coalesced = _coalesced;
        ((ushort Zone, ushort First, int Count)[]? zones, (ushort Port, ushort Zone)[]? declarations) = coalesced?.AnswerRules ?? default;
        if (coalesced is not null && zones is null)
        {
            return RunLoopTable.Empty;
        }

        lock (_runLoopTableLock)
        {
            if (_lastRunLoopTable is { } last && last.BusVersion == busVersion && ReferenceEquals(last.Declarations, declarations)
                && (last.Zones is null ? zones is null : zones is not null && last.Zones.AsSpan().SequenceEqual(zones)))
            {
                return last.Table;
            }

            (PublishedPort[] ports, PublishedRegister[] registers) = PublishedPortsForRunLoop(coalesced, zones);
            (PublishedPort[] counterPorts, PublishedCounter[] counters) = PublishedCountersForRunLoop(coalesced, zones);
            var table = new RunLoopTable(ports, registers, UnclaimedPortRangesForRunLoop(coalesced, zones), counterPorts, counters);
            _lastRunLoopTable = (table, busVersion, zones, declarations);
            return table;
        }
    }

    private (PublishedPort[] Ports, PublishedRegister[] Registers) PublishedPortsForRunLoop(CoalescedWrites? coalesced, (ushort Zone, ushort First, int Count)[]? zones)
    {
        var ports = new List<PublishedPort>();
        var registers = new List<PublishedRegister>();
        foreach ((ulong address, PublishedRegister register) in IoBus.PublishedRegisters)
        {
            if (address > ushort.MaxValue || (coalesced is not null && !coalesced.MayAnswerWithoutReplayUnder(zones, (ushort)address)))
            {
                continue;
            }

            ports.Add(new PublishedPort((ushort)address, register.ValueAddress, AnswersReads: true, DropsRewrites: register.RewritesChangeNothing));
            registers.Add(register);
        }

        return ([.. ports], [.. registers]);
    }

    // The counters devices on the port bus publish (the ACPI PM timer), each where its reads need no coalesced write
    // delivered first: the run loops answer a read from the host's clock.
    private (PublishedPort[] Ports, PublishedCounter[] Counters) PublishedCountersForRunLoop(CoalescedWrites? coalesced, (ushort Zone, ushort First, int Count)[]? zones)
    {
        var ports = new List<PublishedPort>();
        var counters = new List<PublishedCounter>();
        foreach (BusRange range in IoBus.Ranges)
        {
            if (range.Device is not IPublishesCounter { PublishedCounter: { } counter } || counter.Offset >= range.Length)
            {
                continue;
            }

            ulong address = range.Base + counter.Offset;
            if (address > ushort.MaxValue || (coalesced is not null && !coalesced.MayAnswerWithoutReplayUnder(zones, (ushort)address)))
            {
                continue;
            }

            ports.Add(new PublishedPort((ushort)address, counter.Address, AnswersReads: true, DropsRewrites: false, Counter: true));
            counters.Add(counter);
        }

        return ([.. ports], [.. counters]);
    }

    // The ports no device on the port bus claims, as ranges, less any a coalesced zone's confines reach: the run loops
    // answer an access to one of them as the bus does (all ones for a read, a write dropped) from the first, and the bus
    // counts it. A guest that probes for devices which are not there (PCI's configuration ports on a machine without
    // PCI, COM2-4, the DMA page registers) reads and writes the same few ports again and again; each such port then
    // costs no exit of the dispatcher's, and no new table.
    private (ushort First, ushort Last)[] UnclaimedPortRangesForRunLoop(CoalescedWrites? coalesced, (ushort Zone, ushort First, int Count)[]? zones)
    {
        var gaps = new List<(ushort First, ushort Last)>();
        ulong next = 0; // the first port not known to be claimed
        foreach (BusRange range in IoBus.Ranges)
        {
            if (next > ushort.MaxValue)
            {
                break;
            }

            if (range.Base > next)
            {
                gaps.Add(((ushort)next, (ushort)Math.Min(range.Base - 1, ushort.MaxValue)));
            }

            next = Math.Max(next, range.Last + 1);
        }

        if (next <= ushort.MaxValue)
        {
            gaps.Add(((ushort)next, ushort.MaxValue));
        }

        return [.. coalesced is null ? gaps : CoalescedWrites.AnswerableWithoutReplay(zones, gaps)];
    }

    // The port bus's registrations or published registers changed: a new table, taken by every vCPU.
    private void OnPortBusChanged()
    {
        Interlocked.Increment(ref _portBusVersion);
        MarkRunLoopsStale();
    }

    /// <summary>Counts exits a vCPU's run loop answered, in the VM's total and the dispatcher's by reason.</summary>
    internal void CountAnsweredExits(long count)
    {
        Interlocked.Add(ref _exitCount, count);
        Dispatcher.CountAnsweredPortIo(count);
    }

    // The published registers or the coalescing rules changed: every run loop answers nothing until its vCPU has
    // taken the new set.
    private void MarkRunLoopsStale()
    {
        foreach (Vcpu vcpu in _vcpus)
        {
            vcpu.MarkPublishedPortsStale();
        }
    }
}
