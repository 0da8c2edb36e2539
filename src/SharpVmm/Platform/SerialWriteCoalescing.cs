using SharpVmm.Devices.Legacy;
using SharpVmm.Exits;

namespace SharpVmm.Platform;

/// <summary>
/// Lets KVM queue writes to a UART's THR instead of exiting for each byte while the guest polls the line status before
/// every byte, as Linux's serial console does. The boot log then costs one exit per byte (the LSR read) instead of
/// two. Queued bytes reach the UART before any other access, so polling drivers see no difference; an LSR read, whose
/// answer does not depend on them while coalescing is on, does not wait for them, so they arrive in batches (every
/// 20 ms, or when KVM's ring of 169 writes is full) instead of one per exit. That holds while the THR is the only
/// coalesced zone; with others, every read replays first. Coalescing ends the
/// moment the guest enables the THR-empty interrupt or loopback (<see cref="Uart8250.NeedsImmediateWrites"/>), and
/// starts again once they have been off for <see cref="QuietTicksBeforeResuming"/> replay periods. While it is on, the
/// UART's output thread is woken by the replay timer, not by the exits that deliver bytes
/// (<see cref="Uart8250.HoldOutputWakeUps"/>): output reaches the host about one replay period late at most, and the
/// output thread takes held bytes by itself after 100 ms should the timer have stopped.
/// </summary>
public sealed class SerialWriteCoalescing
{
    /// <summary>Replay periods with neither THR-empty interrupts nor loopback before THR writes are queued again.</summary>
    public const int QuietTicksBeforeResuming = 5;

    private readonly CoalescedWrites _writes;
    private readonly Uart8250 _uart;
    private readonly ushort _thrPort;
    private readonly Lock _lock = new();
    private bool _active;
    private int _quietTicks;

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
        writes.AddReadThatNeedsNoReplay((ushort)(basePort + Uart8250.LineStatusOffset), basePort);
        uart.ImmediateWritesNeeded += coalescing.End;
        writes.Tick += coalescing.OnTick;
        coalescing.TryBegin();
        return true;
    }

    private void TryBegin()
    {
        lock (_lock)
        {
            if (!_active && !_uart.NeedsImmediateWrites)
            {
                _active = _writes.TryAdd(_thrPort, 1, isPortIo: true);
                _uart.HoldOutputWakeUps = _active; // the replay timer releases output (OnTick): no exit wakes the writer
            }
        }
    }

    private void End()
    {
        lock (_lock)
        {
            _quietTicks = 0;
            if (_active)
            {
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
            if (_active)
            {
                return;
            }

            _quietTicks = _uart.NeedsImmediateWrites ? 0 : _quietTicks + 1;
            if (_quietTicks < QuietTicksBeforeResuming)
            {
                return;
            }
        }

        TryBegin();
    }
}
