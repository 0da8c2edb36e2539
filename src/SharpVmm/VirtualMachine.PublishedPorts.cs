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

    /// <summary>
    /// The ports the run loops answer now: the registers the port bus publishes, each only where its accesses need no
    /// coalesced write delivered first (<see cref="CoalescedWrites.MayAnswerWithoutReplay"/>).
    /// </summary>
    internal (PublishedPort[] Ports, PublishedRegister[] Registers) PublishedPortsForRunLoop()
    {
        CoalescedWrites? coalesced = _coalesced;
        var ports = new List<PublishedPort>();
        var registers = new List<PublishedRegister>();
        foreach ((ulong address, PublishedRegister register) in IoBus.PublishedRegisters)
        {
            if (address > ushort.MaxValue || (coalesced is not null && !coalesced.MayAnswerWithoutReplay((ushort)address)))
            {
                continue;
            }

            ports.Add(new PublishedPort((ushort)address, register.ValueAddress, AnswersReads: true, DropsRewrites: register.RewritesChangeNothing));
            registers.Add(register);
        }

        return ([.. ports], [.. registers]);
    }

    /// <summary>
    /// The ports no device on the port bus claims, as ranges, less any a coalesced zone's confines reach
    /// (<see cref="CoalescedWrites.AnswerableWithoutReplay"/>): the run loops answer an access to one of them as the bus
    /// does (all ones for a read, a write dropped) from the first, and the bus counts it. A guest that probes for devices
    /// which are not there (PCI's configuration ports on a machine without PCI, COM2-4, the DMA page registers) reads and
    /// writes the same few ports again and again; each such port then costs no exit of the dispatcher's, and no new table.
    /// </summary>
    internal List<(ushort First, ushort Last)> UnclaimedPortRangesForRunLoop()
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

        return _coalesced is { } coalesced ? coalesced.AnswerableWithoutReplay(gaps) : gaps;
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
