using SharpVmm.Devices.Bus;
using SharpVmm.Devices.Legacy;
using SharpVmm.Exits;

namespace SharpVmm.Platform;

/// <summary>
/// Lets KVM queue writes to a UART's THR instead of exiting for each byte while the guest polls the line status before
/// every byte, as Linux's serial console does. The boot log then costs one exit per byte (the LSR read) instead of
/// two. Queued bytes reach the UART before any other access, so polling drivers see no difference; a read of a
/// register the UART publishes (LSR, IER, LCR, MCR, MSR, SCR), whose answer does not depend on them while coalescing is
/// on, does not wait for them, nor does a write that puts such a register's value back (the console's IER restore
/// after each line), so they arrive in batches (every 20 ms, or when KVM's ring of 169 writes is full) instead of one
/// per line. That holds while the THR is the only
/// coalesced zone; with others, every read replays first. Coalescing ends the
/// moment the guest enables the THR-empty interrupt or loopback (<see cref="Uart8250.NeedsImmediateWrites"/>), and
/// starts again the moment they are both off: the 8250 driver's loopback probe, early in a boot, then costs no exits
/// of the log that follows it. Where the guest turns them on again soon after each start (a tty that enables the
/// THR-empty interrupt for every burst of output), coalescing waits for quiet replay periods instead, twice as many
/// each time, up to <see cref="MaxQuietTicksBeforeResuming"/>, so that the zone is not registered and unregistered
/// again and again; coalescing that lasted <see cref="LongRunTicks"/> periods or more after it resumed resets that. While it is on, the
/// UART's output thread is woken by the replay timer, not by the exits that deliver bytes
/// (<see cref="Uart8250.HoldOutputWakeUps"/>): output reaches the host about one replay period late at most, and the
/// output thread takes held bytes by itself after 100 ms should the timer have stopped.
/// </summary>
public sealed class SerialWriteCoalescing
{
    /// <summary>The most replay periods with neither THR-empty interrupts nor loopback that coalescing waits for before
    /// it starts again (1.28 s).</summary>
    public const int MaxQuietTicksBeforeResuming = 64;

    /// <summary>How many replay periods (1 s) coalescing must last after it resumed for the next resumption to be
    /// immediate again.</summary>
    public const int LongRunTicks = 50;

    private readonly CoalescedWrites _writes;
    private readonly Uart8250 _uart;
    private readonly ushort _thrPort;
    private readonly Lock _lock = new();
    private bool _active;
    private int _quietTicks;
    private int _quietTicksNeeded = 1; // 1: start again at once, from the vCPU that ended the need
    private long _ticks; // replay periods since attached
    private long _resumedAtTick = long.MinValue; // when coalescing last started again after an end; MinValue: not since attach

    private SerialWriteCoalescing(CoalescedWrites writes, Uart8250 uart, ushort thrPort)
    {
        _writes = writes;
        _uart = uart;
        _thrPort = thrPort;
    }

    /// <summary>
    /// Starts coalescing the THR writes of <paramref name="uart"/>, decoded at <paramref name="basePort"/>, where KVM
    /// can; call before the VM starts. Do not use it with an exit tracer that must see every access.
    /// </summary>
    /// <param name="vm">The VM the UART is attached to.</param>
    /// <param name="uart">The UART.</param>
    /// <param name="basePort">Its first port (the THR's).</param>
    /// <returns>False where KVM has no coalesced port I/O; the UART then works as before.</returns>
    public static bool Attach(VirtualMachine vm, Uart8250 uart, ushort basePort)
    {
        ArgumentNullException.ThrowIfNull(vm);
        ArgumentNullException.ThrowIfNull(uart);
        if (vm.CoalescedWriteReplay is not { } writes)
        {
            return false;
        }

        var coalescing = new SerialWriteCoalescing(writes, uart, basePort);
        foreach (PublishedRegister register in uart.PublishedRegisters)
        {
            // Coalescing is off in loopback, and otherwise no published register depends on the THR's writes.
            writes.AddRegisterThatNeedsNoReplay((ushort)(basePort + register.Offset), basePort);
        }

        uart.ImmediateWritesNeeded += coalescing.End;
        uart.ImmediateWritesNoLongerNeeded += coalescing.OnImmediateWritesDone;
        writes.Tick += coalescing.OnTick;
        coalescing.TryBegin(resuming: false);
        return true;
    }

    private void TryBegin(bool resuming)
    {
        lock (_lock)
        {
            if (!_active && !_uart.NeedsImmediateWrites)
            {
                _active = _writes.TryAdd(_thrPort, 1, isPortIo: true);
                _resumedAtTick = resuming ? _ticks : long.MinValue;
                _uart.HoldOutputWakeUps = _active; // the replay timer releases output (OnTick): no exit wakes the writer
            }
        }
    }

    private void OnImmediateWritesDone()
    {
        lock (_lock)
        {
            if (_quietTicksNeeded > 1)
            {
                return; // the guest has been turning them on and off: wait for quiet periods (OnTick)
            }
        }

        TryBegin(resuming: true);
    }

    private void End()
    {
        lock (_lock)
        {
            _quietTicks = 0;
            if (_active)
            {
                // Ended soon after it resumed: the guest is toggling, so the next start waits longer. The first start
                // (at attach) does not count: on a fast host the loopback probe comes within the first second.
                bool soon = _resumedAtTick != long.MinValue && _ticks - _resumedAtTick < LongRunTicks;
                _quietTicksNeeded = soon ? Math.Min(_quietTicksNeeded * 2, MaxQuietTicksBeforeResuming) : 1;
                _writes.Remove(_thrPort, 1, isPortIo: true);
                _active = false;
                _uart.HoldOutputWakeUps = false;
            }
        }
    }

    private void OnTick()
    {
        _uart.ReleaseOutput(); // what the replay before this tick, or any exit since the last, transmitted
        lock (_lock)
        {
            _ticks++;
            if (_active)
            {
                return;
            }

            _quietTicks = _uart.NeedsImmediateWrites ? 0 : _quietTicks + 1;
            if (_quietTicks < _quietTicksNeeded)
            {
                return;
            }
        }

        TryBegin(resuming: true);
    }
}
