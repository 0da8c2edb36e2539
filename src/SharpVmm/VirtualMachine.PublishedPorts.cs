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

    // The value an unclaimed port reads: all ones (the loop repeats the byte for a wider read), in a cell that never moves.
    private static readonly int[] UnclaimedValue = NewUnclaimedValue();

    /// <summary>How many unclaimed ports the run loops answer at most: the first the guest accessed.</summary>
    internal const int MaxUnclaimedPortsInRunLoop = 16;

    private ushort[] _unclaimedPorts = []; // the first unclaimed ports the guest accessed; replaced under _unclaimedPortsLock
    private readonly Lock _unclaimedPortsLock = new();

    /// <summary>
    /// The ports the run loops answer now: the registers the port bus publishes, then the unclaimed ports the guest
    /// has accessed (their reads get all ones and their writes are dropped, as the bus does; null in
    /// <c>Registers</c>), each only where its accesses need no coalesced write delivered first
    /// (<see cref="CoalescedWrites.MayAnswerWithoutReplay"/>).
    /// </summary>
    internal (PublishedPort[] Ports, PublishedRegister?[] Registers) PublishedPortsForRunLoop()
    {
        CoalescedWrites? coalesced = _coalesced;
        var ports = new List<PublishedPort>();
        var registers = new List<PublishedRegister?>();
        foreach ((ulong address, PublishedRegister register) in IoBus.PublishedRegisters)
        {
            if (address > ushort.MaxValue || (coalesced is not null && !coalesced.MayAnswerWithoutReplay((ushort)address)))
            {
                continue;
            }

            ports.Add(new PublishedPort((ushort)address, register.ValueAddress, AnswersReads: true, DropsRewrites: register.RewritesChangeNothing));
            registers.Add(register);
        }

        // A guest that probes for devices which are not there (PCI's configuration ports on a machine without PCI,
        // COM2-4) reads and writes the same few ports again and again.
        foreach (ushort port in Volatile.Read(ref _unclaimedPorts))
        {
            if (IoBus.Find(port) is null && (coalesced is null || coalesced.MayAnswerWithoutReplay(port)))
            {
                ports.Add(new PublishedPort(port, System.Runtime.InteropServices.Marshal.UnsafeAddrOfPinnedArrayElement(UnclaimedValue, 0),
                    AnswersReads: true, DropsRewrites: false, Unclaimed: true));
                registers.Add(null);
            }
        }

        return ([.. ports], [.. registers]);
    }

    private static int[] NewUnclaimedValue()
    {
        int[] cell = GC.AllocateArray<int>(1, pinned: true);
        cell[0] = 0xFF;
        return cell;
    }

    // The port bus saw an unclaimed address for the first time (on the thread of the exit that reached it).
    private void OnUnclaimedPort(ulong address)
    {
        lock (_unclaimedPortsLock)
        {
            if (address > ushort.MaxValue || _unclaimedPorts.Length >= MaxUnclaimedPortsInRunLoop)
            {
                return; // a guest scanning every port: the first ones stay, and no table is rebuilt for each
            }

            Volatile.Write(ref _unclaimedPorts, [.. _unclaimedPorts, (ushort)address]);
        }

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
