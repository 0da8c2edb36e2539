using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SharpVmm.Devices.Bus;
using SharpVmm.Diagnostics;
using SharpVmm.Exits;
using SharpVmm.Kvm;
using SharpVmm.Sys;

namespace SharpVmm;

/// <summary>
/// One virtual CPU and the dedicated host thread that runs it. The thread loops on <c>KVM_RUN</c> and hands each
/// exit to the VM's <see cref="ExitDispatcher"/> until the vCPU halts, an exit is fatal, or the VM is stopped.
/// </summary>
public sealed class Vcpu : IDisposable
{
    private readonly VirtualMachine _vm;
    private readonly Lock _threadLock = new();
    private Thread? _thread;
    private nuint _pthread;
    private bool _inRunLoop;
    private bool _dispatching; // set around each exit's dispatch, so a failure can be laid at the device's door
    private long _exitCount;
    private long _firstExitAt;
    private long _firstRunAt;
    private long _handlingCycles; // CycleClock counts: a Stopwatch read costs a system call where the TSC is not the clock source
    private PublishedPortRunLoop? _runLoop; // created by the vCPU's thread; under _threadLock for other threads
    private PublishedRegister[] _mirrored = []; // by slot from 1: the registers that keep copies of their values in _runLoop's block
    private bool _answersUnclaimed; // the loop answers unclaimed ports, whose accesses the port bus counts
    private Action<ushort, bool, long, long, long>? _recordAnswered;
    private long _exitsAnsweredInRunLoop;
    private RunLoopTable? _tableInLoop; // the table _runLoop has, since the vCPU last set one
    private (RunLoopTable? Table, PublishedPort[] Ports)[] _portsWithCells = [(null, []), (null, [])]; // the last two, newest first

    internal Vcpu(VirtualMachine vm, KvmVcpu kvm)
    {
        _vm = vm;
        Kvm = kvm;
    }

    /// <summary>The vCPU index (also its initial APIC ID).</summary>
    public int Id => Kvm.Id;

    /// <summary>The KVM handle, for register set-up before the VM starts.</summary>
    public KvmVcpu Kvm { get; }

    /// <summary>Exits this vCPU has handled.</summary>
    public long ExitCount => Interlocked.Read(ref _exitCount);

    /// <summary>Of <see cref="ExitCount"/>, the exits the vCPU's run loop answered from published registers without the
    /// dispatcher (<see cref="PublishedPortRunLoop"/>; counted each time the loop returns, at least every
    /// <see cref="PublishedPortRunLoop.AnswersPerRun"/> answers).</summary>
    public long ExitsAnsweredInRunLoop => Interlocked.Read(ref _exitsAnsweredInRunLoop);

    /// <summary>When this vCPU first entered <c>KVM_RUN</c>, about its first guest instruction
    /// (<see cref="System.Diagnostics.Stopwatch"/> ticks); 0 before it ran.</summary>
    public long FirstRunAt => Volatile.Read(ref _firstRunAt);

    /// <summary>When this vCPU's first exit came (<see cref="System.Diagnostics.Stopwatch"/> ticks); 0 before it has had one.</summary>
    public long FirstExitAt => Volatile.Read(ref _firstExitAt);

    /// <summary>
    /// Time this vCPU's thread spent handling exits in the VMM, outside <c>KVM_RUN</c> (the VMM's own cost; the rest
    /// of the run is the guest, or KVM on the guest's behalf).
    /// </summary>
    public TimeSpan TimeHandlingExits => CycleClock.ToTimeSpan(Volatile.Read(ref _handlingCycles));

    internal void Start()
    {
        _thread = new Thread(RunLoop, maxStackSize: 256 * 1024)
        {
            Name = $"vcpu{Id}",
            IsBackground = true,
        };
        _thread.Start();
    }

    internal bool Join(TimeSpan timeout) => _thread is null || _thread.Join(timeout);

    /// <summary>Makes KVM_RUN return: immediate_exit covers the window before entry, the signal the time inside.</summary>
    internal void Kick()
    {
        Kvm.SetImmediateExit(true);
        lock (_threadLock)
        {
            if (_inRunLoop)
            {
                VcpuThreadSignal.Kick(_pthread);
            }
        }
    }

    private void RunLoop()
    {
        lock (_threadLock)
        {
            _pthread = VcpuThreadSignal.CurrentThread();
            _inRunLoop = true;
        }

        try
        {
            SeccompPolicy.ApplyToCurrentThread(SeccompThreadKind.Vcpu);
            _vm.OnVcpuFinished(this, Loop());
        }
        catch (Exception ex) when (ex is KvmException or SystemCallException)
        {
            _vm.OnVcpuFinished(this, ExitOutcome.Fatal(VmStopReason.HostError, $"vCPU {Id}: {ex.Message}"), ex);
        }
#pragma warning disable CA1031 // the vCPU thread's last resort: a device the guest drove into a bug stops the VM, never the process
        catch (Exception ex)
#pragma warning restore CA1031
        {
            if (_dispatching)
            {
                DeviceFailure failure = FailedAccess.Describe(Kvm.Exit, _vm.IoBus, _vm.MmioBus, ex);
                _vm.OnVcpuFinished(this, ExitOutcome.Fatal(VmStopReason.DeviceError, $"device {failure}"), ex, failure);
            }
            else
            {
                _vm.OnVcpuFinished(this, ExitOutcome.Fatal(VmStopReason.HostError, $"vCPU {Id}: {ex.GetType().Name}: {ex.Message}"), ex);
            }
        }
        finally
        {
            lock (_threadLock)
            {
                _inRunLoop = false;
            }
        }
    }

    private ExitOutcome Loop()
    {
        ExitDispatcher dispatcher = _vm.Dispatcher;
        bool exitPending = false; // the last KVM_RUN ended in an exit, which KVM completes only on the next KVM_RUN
        if (_vm.AnswersInRunLoop)
        {
            // Set-up, before the first KVM_RUN, rather than in the first exit's handling, which would wait for it: the
            // loop's code page mapped and its table built (under an emulated CPU that first build, all of it code run
            // for the first time, took 1.7-3.1 ms). A change before the loop first runs marks it stale again.
            PublishedPortRunLoop loop = _runLoop ?? CreateRunLoop();
            if (loop.ClearStale())
            {
                TakePublishedPorts(loop);
            }
        }

        while (!_vm.IsStopping)
        {
            if (_vm.Suspension.IsClosed)
            {
                // Suspended (S3): wait off KVM_RUN (a stop sets _stopping first and releases the gate).
                _vm.Suspension.Park(() => _vm.IsStopping);
                continue;
            }

            if (_vm.PauseGate.IsClosed)
            {
                if (!exitPending)
                {
                    _vm.PauseGate.Park(() => _vm.IsStopping);
                    continue;
                }

                // An I/O or MMIO exit is complete (RIP past the instruction, an IN's value in RAX) only once KVM_RUN is
                // entered again (api.rst, KVM_RUN). With immediate_exit set KVM finishes it and returns at once, so a
                // paused vCPU's state is one a snapshot can save and restore.
                Kvm.SetImmediateExit(true);
            }

            exitPending = false;
            if (_firstRunAt == 0)
            {
                Volatile.Write(ref _firstRunAt, System.Diagnostics.Stopwatch.GetTimestamp()); // single writer
            }

            RunLoopOutcome outcome;
            long handlingStart;
            if (_firstExitAt != 0 && _vm.AnswersInRunLoop)
            {
                outcome = RunAnsweringPublishedPorts(out handlingStart);
            }
            else
            {
                outcome = Kvm.Run() ? RunLoopOutcome.Exit : RunLoopOutcome.Interrupted;
                handlingStart = CycleClock.Now();
            }

            if (outcome == RunLoopOutcome.AnswersSpent)
            {
                exitPending = true; // the last exit the loop answered is completed by the next KVM_RUN
                continue;
            }

            if (outcome == RunLoopOutcome.Interrupted)
            {
                // Kicked. Whoever kicks sets its request (stop, suspend, pause) before immediate_exit, so clearing
                // immediate_exit first and then looking at the requests loses none, and leaves no stale kick to make
                // the next KVM_RUN return at once.
                Kvm.SetImmediateExit(false);
                Interlocked.MemoryBarrier();
                continue;
            }

            exitPending = true;
            if (_firstExitAt == 0)
            {
                Volatile.Write(ref _firstExitAt, System.Diagnostics.Stopwatch.GetTimestamp()); // single writer, once
            }

            Interlocked.Increment(ref _exitCount);
            VcpuExit exit = Kvm.Exit;
            CoalescedWrites? coalesced = _vm.ActiveCoalescedWrites;
            if (exit.Reason == KvmExitReason.Io && (coalesced is null || coalesced.MayAccessWithoutReplay(exit.IoPort))
                && dispatcher.TryAnswerPublished(exit))
            {
                // The commonest exits of a boot, a UART's line status read and its interrupt enables written back,
                // answered from the values its device published.
                EndHandling(handlingStart);
                continue;
            }

            coalesced?.ReplayBefore(exit); // writes KVM queued without exiting come first, in the guest's order
            if (_vm.Debugger is { } debugger && debugger.TryTakeExit(this, exit))
            {
                continue; // a breakpoint, a watchpoint or a single step the gdb stub asked for: the stub stops the VM
            }

            _dispatching = true;
            ExitOutcome handled = dispatcher.Dispatch(Id, exit, Kvm);
            _dispatching = false;
            if (handled.Disposition != ExitDisposition.Continue)
            {
                return handled;
            }

            EndHandling(handlingStart);
        }

        return ExitOutcome.Continue;
    }

    // The vCPU's thread: the loop that answers published ports, answering none until its ports are taken.
    private PublishedPortRunLoop CreateRunLoop()
    {
        var loop = new PublishedPortRunLoop(Kvm);
        lock (_threadLock)
        {
            _runLoop = loop;
        }

        return loop;
    }

    // KVM_RUN in the loop that answers published port registers itself; handlingStart is when KVM_RUN last returned.
    private RunLoopOutcome RunAnsweringPublishedPorts(out long handlingStart)
    {
        PublishedPortRunLoop loop = _runLoop ?? CreateRunLoop(); // here where it was not wanted at the start (a debugger)
        if (loop.ClearStale()) // before reading the set: a change from now on marks it stale again
        {
            // VMM time outside KVM_RUN, after the exit whose handling changed the set ended its own count.
            long takeStart = CycleClock.Now();
            TakePublishedPorts(loop);
            Volatile.Write(ref _handlingCycles, _handlingCycles + (CycleClock.Now() - takeStart)); // single writer: no lock prefix
        }

        try
        {
            return loop.Run();
        }
        finally
        {
            handlingStart = loop.LastReturn;
            bool perPort = _vm.ExitStatistics is not null || _answersUnclaimed;
            (long exits, long cycles) = loop.TakeAnswered(perPort ? _recordAnswered ??= RecordAnswered : null);
            if (exits != 0)
            {
                Interlocked.Add(ref _exitCount, exits);
                Interlocked.Add(ref _exitsAnsweredInRunLoop, exits);
                Volatile.Write(ref _handlingCycles, _handlingCycles + cycles); // single writer: no lock prefix
                _vm.CountAnsweredExits(exits);
            }
        }
    }

    // The vCPU's thread: the loop answers the ports published now, from copies of their values that the registers keep
    // in its own block (PublishedRegister.MirrorTo), so that an answer reads no page but the loop's, kvm_run's and the
    // data's. A register keeps its copy in the same cell for as long as the loop lives, answered or not: a change of the
    // set (coalescing stops and starts again around a driver's probe, which takes every port out and puts it back) then
    // only rewrites the table, and the two tables such a change goes between are kept ready. The ports no device claims
    // are given as ranges: the loop adds each to its table at the guest's first access, with slot 0's cell, all ones.
    private void TakePublishedPorts(PublishedPortRunLoop loop)
    {
        RunLoopTable table = _vm.RunLoopTableNow();
        if (ReferenceEquals(table, _tableInLoop))
        {
            return; // a change that changed nothing here: the loop keeps its table, and the unclaimed ports it added
        }

        PublishedPort[] ports = PortsWithCells(loop, table);
        loop.SetPorts(ports, table.Counters.Length == 0 ? _mirrored : [.. _mirrored, .. table.Counters]); // what the cells belong to
        loop.SetUnclaimedRanges(table.Unclaimed);
        _answersUnclaimed = table.Unclaimed.Length > 0;
        _tableInLoop = table;
    }

    // The table's ports, each with its register's cell in the loop's block; the last two tables' are kept.
    private PublishedPort[] PortsWithCells(PublishedPortRunLoop loop, RunLoopTable table)
    {
        foreach ((RunLoopTable? kept, PublishedPort[] keptPorts) in _portsWithCells)
        {
            if (ReferenceEquals(kept, table))
            {
                return keptPorts;
            }
        }

        int arriving = 0;
        foreach (PublishedRegister register in table.Registers)
        {
            arriving += Array.IndexOf(_mirrored, register) < 0 ? 1 : 0;
        }

        if (_mirrored.Length + arriving >= PublishedPortRunLoop.Capacity)
        {
            StopMirroring(loop); // registers came and went until the cells ran out: begin again
        }

        var ports = new List<PublishedPort>(table.Ports.Length);
        for (int i = 0; i < table.Ports.Length && ports.Count < PublishedPortRunLoop.Capacity; i++)
        {
            PublishedRegister register = table.Registers[i];
            int slot = Array.IndexOf(_mirrored, register) + 1;
            if (slot == 0)
            {
                if (_mirrored.Length + 1 == PublishedPortRunLoop.Capacity)
                {
                    continue; // more registers than cells: the dispatcher answers this one
                }

                register.MirrorTo(loop.SlotCell(_mirrored.Length + 1));
                _mirrored = [.. _mirrored, register];
                slot = _mirrored.Length;
            }

            ports.Add(table.Ports[i] with { ValueCell = loop.SlotCell(slot) });
        }

        ports.AddRange(table.CounterPorts.AsSpan(0, Math.Min(table.CounterPorts.Length, PublishedPortRunLoop.Capacity - ports.Count))); // their own cells

        PublishedPort[] withCells = [.. ports];
        _portsWithCells = [(table, withCells), _portsWithCells[0]];
        return withCells;
    }

    // The vCPU's thread, or the disposing one after it ended: no register writes to the loop's block any more.
    private void StopMirroring(PublishedPortRunLoop loop)
    {
        for (int i = 0; i < _mirrored.Length; i++)
        {
            _mirrored[i].StopMirroring(loop.SlotCell(i + 1));
        }

        _mirrored = [];
        _portsWithCells = [(null, []), (null, [])]; // their cells are no register's any more
        _tableInLoop = null;
    }

    private void RecordAnswered(ushort port, bool isWrite, long count, long cycles, long longest)
    {
        _vm.ExitStatistics?.Record((uint)KvmExitReason.Io, isWrite, port, count, cycles, longest);
        if (_answersUnclaimed && _vm.IoBus.Find(port) is null)
        {
            _vm.IoBus.RecordUnclaimed(port, isWrite, count); // as the bus would have counted it
        }
    }

    /// <summary>Any thread: the published registers changed; the run loop answers none until this vCPU has taken them again.</summary>
    internal void MarkPublishedPortsStale()
    {
        lock (_threadLock)
        {
            _runLoop?.MarkStale();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] // the exit path's commonest case: one stretch of code
    private void EndHandling(long handlingStart)
    {
        _vm.OnExitHandled();
        long spent = CycleClock.Now() - handlingStart;
        Volatile.Write(ref _handlingCycles, _handlingCycles + spent); // single writer: no lock prefix
        _vm.ExitStatistics?.Record(Kvm.Exit, spent);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        PublishedPortRunLoop? loop;
        lock (_threadLock)
        {
            loop = _runLoop;
            _runLoop = null;
        }

        if (loop is not null)
        {
            StopMirroring(loop); // the vCPU's thread has ended: its block is no register's to write any more
            loop.Dispose();
        }

        Kvm.Dispose();
    }
}
