using SharpVmm.Devices.Bus;
using SharpVmm.Devices.Legacy;
using SharpVmm.Exits;

namespace SharpVmm.Platform;

/// <summary>
/// Lets KVM queue writes to a UART's THR instead of exiting for each byte while the guest polls the line status before
/// every byte, as Linux's serial console does. The boot log then costs one exit per byte (the LSR read) instead of
/// two. Queued bytes reach the UART before any other access to it, so polling drivers see no difference (an access to
/// another device, or any other exit, does not wait for them: a THR byte changes nothing outside the UART); a read of a
/// register the UART publishes (LSR, IER, LCR, MCR, MSR, SCR), whose answer does not depend on them while coalescing is
/// on, does not wait for them, nor does a write that puts such a register's value back (the console's IER restore
/// after each line), so they arrive in batches (at the replay timer, or when KVM's ring of 169 writes is full) instead
/// of one per line.
/// <para>
/// Coalescing ends when the guest enables the THR-empty interrupt or loopback (<see cref="Uart8250.NeedsImmediateWrites"/>):
/// from that moment every exit delivers the queued bytes first, and a byte written meanwhile reaches the UART at the
/// next exit. The zone itself leaves KVM at the first tick of the replay timer <see cref="LeavingDelay"/> or more later
/// (at most <see cref="CoalescedWrites.ReplayPeriod"/> after that), unless the guest has turned both off again by then,
/// as the 8250 driver's IER and THRE probes do within microseconds: the zone then stays. The vCPU that turned them on
/// only marks the zone: arming a timer from its thread would wake the timer's thread, which costs the exit more than
/// the rest of its handling under nested KVM. Coalescing starts again the moment both are off: the driver's loopback
/// probe, early in a boot, then costs no exits of the log that follows it. Zones are registered and unregistered on
/// the thread of a timer of the <see cref="TimeProvider"/> given to
/// <see cref="Attach(VirtualMachine, Uart8250, ushort, TimeProvider)"/>, never on a vCPU's: each waits for KVM's SRCU
/// grace period, milliseconds under nested KVM.
/// </para>
/// <para>
/// Where the guest turns them on again soon after each start (a tty that enables the THR-empty interrupt for every
/// burst of output), coalescing waits for a quiet time instead, twice as long each time from the replay timer's longest
/// period (20 ms) up to <see cref="MaxQuietTimeBeforeResuming"/>, so that the zone is not registered and unregistered
/// again and again; coalescing that lasted <see cref="LongRun"/> or more after it resumed resets that. While it is on,
/// the UART's output thread is woken by the replay timer, not by the exits that deliver bytes
/// (<see cref="Uart8250.HoldOutputWakeUps"/>): output reaches the host one replay period late at most, and the output
/// thread takes held bytes by itself after 100 ms should the timer have stopped.
/// </para>
/// </summary>
public sealed class SerialWriteCoalescing
{
    /// <summary>The longest the THR-empty interrupt and loopback must have been off before coalescing starts again,
    /// for a guest that keeps turning them on soon after each start.</summary>
    public static readonly TimeSpan MaxQuietTimeBeforeResuming = TimeSpan.FromMilliseconds(1280);

    /// <summary>How long coalescing must last after it resumed for the next resumption to be immediate again.</summary>
    public static readonly TimeSpan LongRun = TimeSpan.FromSeconds(1);

    /// <summary>How long the THR-empty interrupt or loopback must stay on before the zone leaves KVM, at the replay
    /// timer's next tick: longer than a driver's probe that turns them on and off again.</summary>
    public static readonly TimeSpan LeavingDelay = TimeSpan.FromMilliseconds(5);

    private readonly CoalescedWrites _writes;
    private readonly Uart8250 _uart;
    private readonly ushort _thrPort;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly ITimer _zoneChange; // the zone is registered and unregistered on its thread (ChangeZone)
    private bool _wanted; // coalescing is wanted: THR-empty and loopback are off, and the quiet time has passed
    private bool _active; // the zone is registered
    private int _changing; // 1 while ChangeZone runs
    private volatile bool _failed; // a zone change threw: no more are tried
    private TimeSpan _quietNeeded; // zero: start again at once, from the vCPU that ended the need
    private long _quietSince; // timestamp (_time) when THR-empty and loopback were last both turned off
    private long _endedAt; // timestamp when a vCPU last marked the registered zone leaving (End)
    private long? _resumedAt; // timestamp when coalescing last started again after an end; null: not since attach

    private SerialWriteCoalescing(CoalescedWrites writes, Uart8250 uart, ushort thrPort, TimeProvider time)
    {
        _writes = writes;
        _uart = uart;
        _thrPort = thrPort;
        _time = time;
        _zoneChange = time.CreateTimer(static c => ((SerialWriteCoalescing)c!).ChangeZone(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Starts coalescing the THR writes of <paramref name="uart"/>, decoded at <paramref name="basePort"/>, where KVM
    /// can; call before the VM starts. Do not use it with an exit tracer that must see every access.
    /// </summary>
    /// <param name="vm">The VM the UART is attached to.</param>
    /// <param name="uart">The UART.</param>
    /// <param name="basePort">Its first port (the THR's).</param>
    /// <returns>False where KVM has no coalesced port I/O; the UART then works as before.</returns>
    public static bool Attach(VirtualMachine vm, Uart8250 uart, ushort basePort) => Attach(vm, uart, basePort, TimeProvider.System);

    /// <summary>As <see cref="Attach(VirtualMachine, Uart8250, ushort)"/>, measuring the quiet times on
    /// <paramref name="time"/>'s clock.</summary>
    /// <param name="vm">The VM the UART is attached to.</param>
    /// <param name="uart">The UART.</param>
    /// <param name="basePort">Its first port (the THR's).</param>
    /// <param name="time">The clock for the quiet times before coalescing starts again.</param>
    /// <returns>False where KVM has no coalesced port I/O; the UART then works as before.</returns>
    public static bool Attach(VirtualMachine vm, Uart8250 uart, ushort basePort, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(vm);
        ArgumentNullException.ThrowIfNull(uart);
        ArgumentNullException.ThrowIfNull(time);
        if (vm.CoalescedWriteReplay is not { } writes)
        {
            return false;
        }

        var coalescing = new SerialWriteCoalescing(writes, uart, basePort, time);
        // A THR byte changes nothing but the UART (its output; its THR-empty interrupt is off while coalescing is on).
        writes.ConfineZone(basePort, basePort, Uart8250.PortCount);
        foreach (PublishedRegister register in uart.PublishedRegisters)
        {
            // Coalescing is off in loopback, and otherwise no published register depends on the THR's writes.
            writes.AddRegisterThatNeedsNoReplay((ushort)(basePort + register.Offset), basePort);
        }

        uart.ImmediateWritesNeeded += coalescing.End;
        uart.ImmediateWritesNoLongerNeeded += coalescing.OnImmediateWritesDone;
        writes.Tick += coalescing.OnTick;
        coalescing.Start();
        return true;
    }

    // At attach, before the vCPUs run: the zone is registered at once.
    private void Start()
    {
        lock (_lock)
        {
            _wanted = !_uart.NeedsImmediateWrites;
            _active = _wanted && _writes.TryAdd(_thrPort, 1, isPortIo: true);
            _uart.HoldOutputWakeUps = _active; // the replay timer releases output (OnTick): no exit wakes the writer
            if (_wanted && !_active)
            {
                RefusedLocked();
            }
        }
    }

    // On the vCPU thread that turned the THR-empty interrupt or loopback on. The replay timer's tick (OnTick) has the
    // zone leave; a start under way (ChangeZone) sees _wanted turned off and undoes itself.
    private void End()
    {
        lock (_lock)
        {
            _wanted = false;
            if (_active)
            {
                _writes.MarkLeaving(_thrPort, isPortIo: true); // from now on every exit delivers the queue first
                _endedAt = _time.GetTimestamp();
            }
        }
    }

    // On the vCPU thread that turned the THR-empty interrupt and loopback both off.
    private void OnImmediateWritesDone()
    {
        bool start;
        lock (_lock)
        {
            if (_uart.NeedsImmediateWrites)
            {
                return; // on again already (another vCPU's write, whose event came first): End has this
            }

            _quietSince = _time.GetTimestamp();
            _wanted = _quietNeeded == TimeSpan.Zero; // else the guest has been turning them on and off: wait (OnTick)
            if (_wanted && _active)
            {
                _writes.StayAfterAll(_thrPort, isPortIo: true); // on and off again before the zone left: it stays
            }

            start = _wanted && !_active;
        }

        if (start)
        {
            _zoneChange.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }
    }

    // On the replay timer's thread, every 20 ms or sooner while a zone is registered: has the zone leave once the
    // guest has kept THR-empty or loopback on for LeavingDelay, and start again once a needed quiet time has passed.
    private void OnTick()
    {
        _uart.ReleaseOutput(); // what the replay before this tick, or any exit since the last, transmitted
        lock (_lock)
        {
            bool leave = _active && !_wanted && _time.GetElapsedTime(_endedAt) >= LeavingDelay;
            bool resume = !_active && !_wanted && !_uart.NeedsImmediateWrites && _time.GetElapsedTime(_quietSince) >= _quietNeeded;
            if (_failed || !(leave || resume))
            {
                return;
            }

            _wanted |= resume;
        }

        _zoneChange.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    // On the zone-change timer's thread: registers or unregisters the zone until it is as wanted. The vCPUs never wait
    // for it: they only change what is wanted and the replay rules, under _lock, which this holds only briefly.
    private void ChangeZone()
    {
        while (!_failed && Interlocked.Exchange(ref _changing, 1) == 0)
        {
            try
            {
                while (Step())
                {
                }
            }
#pragma warning disable CA1031 // a timer thread's last resort: a device's failure must not end the process
            catch (Exception)
#pragma warning restore CA1031
            {
                // KVM refused the ioctl, or a device threw while the zone's writes were delivered. The zone stays as
                // it is (while marked leaving, every exit delivers the queue first), and the vCPUs meet the device's
                // failure at their next replay, which stops the VM with a report.
                _failed = true;
            }
            finally
            {
                Volatile.Write(ref _changing, 0);
            }

            lock (_lock)
            {
                if (_wanted == _active)
                {
                    return; // else a change came after the last step: take it (unless another call already does)
                }
            }
        }
    }

    // One registration or unregistration; false when the zone is already as wanted.
    private bool Step()
    {
        bool leave;
        lock (_lock)
        {
            if (_wanted == _active)
            {
                return false;
            }

            leave = _active;
            if (leave)
            {
                // Ended soon after it resumed: the guest is toggling, so the next start waits longer. The first start
                // (at attach) does not count: on a fast host the loopback probe comes within the first second.
                bool soon = _resumedAt is long resumedAt && _time.GetElapsedTime(resumedAt) < LongRun;
                _quietNeeded = !soon ? TimeSpan.Zero
                    : _quietNeeded * 2 is var doubled && doubled < CoalescedWrites.ReplayPeriod ? CoalescedWrites.ReplayPeriod
                    : doubled > MaxQuietTimeBeforeResuming ? MaxQuietTimeBeforeResuming : doubled;
            }
            else
            {
                _writes.MarkLeaving(_thrPort, isPortIo: true); // its confines hold only once it is known to be wanted still
            }
        }

        if (leave)
        {
            _writes.Remove(_thrPort, 1, isPortIo: true); // delivers what the zone queued, then lifts its mark
            lock (_lock)
            {
                _active = false;
                _uart.HoldOutputWakeUps = false;
                _writes.StayAfterAll(_thrPort, isPortIo: true); // a mark End set meanwhile: the zone is gone
            }

            return true;
        }

        bool added = _writes.TryAdd(_thrPort, 1, isPortIo: true);
        lock (_lock)
        {
            _active = added;
            _uart.HoldOutputWakeUps = added;
            if (!added)
            {
                _writes.StayAfterAll(_thrPort, isPortIo: true); // no zone: nothing to mark
                RefusedLocked();
            }
            else
            {
                _resumedAt = _time.GetTimestamp();
                if (_wanted && !_uart.NeedsImmediateWrites)
                {
                    _writes.StayAfterAll(_thrPort, isPortIo: true); // still wanted: its confines hold
                }
            }
        }

        return true;
    }

    // Under _lock: KVM refused the zone; try again after the longest quiet time, not at every tick.
    private void RefusedLocked()
    {
        _wanted = false;
        _quietNeeded = MaxQuietTimeBeforeResuming;
        _quietSince = _time.GetTimestamp();
    }
}
