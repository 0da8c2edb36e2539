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
    /// The port registers the run loops answer now: those the port bus publishes whose accesses need no coalesced
    /// write delivered first (<see cref="CoalescedWrites.MayAnswerWithoutReplay"/>), with the registers that hold
    /// their values.
    /// </summary>
    internal (PublishedPort[] Ports, PublishedRegister[] Registers) PublishedPortsForRunLoop()
    {
        CoalescedWrites? coalesced = _coalesced;
        var ports = new List<PublishedPort>();
        var owners = new List<PublishedRegister>();
        foreach ((ulong address, PublishedRegister register) in IoBus.PublishedRegisters)
        {
            if (address > ushort.MaxValue || (coalesced is not null && !coalesced.MayAnswerWithoutReplay((ushort)address)))
            {
                continue;
            }

            ports.Add(new PublishedPort((ushort)address, register.ValueAddress, AnswersReads: true, DropsRewrites: register.RewritesChangeNothing));
            owners.Add(register);
        }

        return ([.. ports], [.. owners]);
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
