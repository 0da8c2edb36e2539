namespace SharpVmm.Devices.Legacy;

// Saving and restoring the UART's guest-visible state (Uart8250State).
public sealed partial class Uart8250
{
    /// <summary>The guest-visible state (registers, divisor, pending interrupt, receive FIFO); not the output stream.</summary>
    public Uart8250State SaveState()
    {
        lock (_lock)
        {
            return new Uart8250State
            {
                Ier = _ier, Lcr = _lcr, Mcr = _mcr, Scr = _scr, Fcr = _fcr, DivisorLow = _dll, DivisorHigh = _dlm,
                LineStatusErrors = _lsrErrors, ThrEmptyPending = _thrEmptyPending, ReceiveFifo = [.. _rx],
            };
        }
    }

    /// <summary>
    /// Puts the UART in <paramref name="state"/> and drives the interrupt line to match. Call before the vCPUs run.
    /// </summary>
    /// <exception cref="DeviceStateException">A register holds bits the UART does not keep, or the FIFO is too long;
    /// nothing is changed then.</exception>
    public void RestoreState(Uart8250State state)
    {
        ArgumentNullException.ThrowIfNull(state);
        const string Device = "uart8250";
        byte[] fifo = DeviceStateException.Present(state.ReceiveFifo, Device, nameof(state.ReceiveFifo));
        DeviceStateException.Require((state.Ier & ~0x0F) == 0, Device, nameof(state.Ier), "has bits above 3");
        DeviceStateException.Require((state.Mcr & ~0x1F) == 0, Device, nameof(state.Mcr), "has bits above 4");
        DeviceStateException.Require((state.LineStatusErrors & ~0x1E) == 0, Device, nameof(state.LineStatusErrors), "has bits other than 1-4");
        DeviceStateException.Require(fifo.Length <= ReceiveBufferSize, Device, nameof(state.ReceiveFifo), $"holds more than {ReceiveBufferSize} bytes");
        bool neededBefore, neededAfter;
        lock (_lock)
        {
            neededBefore = NeedsImmediateWrites;
            (_ier, _lcr, _mcr, _scr, _fcr) = (state.Ier, state.Lcr, state.Mcr, state.Scr, state.Fcr);
            (_dll, _dlm, _lsrErrors, _thrEmptyPending) = (state.DivisorLow, state.DivisorHigh, state.LineStatusErrors, state.ThrEmptyPending);
            _rx.Clear();
            foreach (byte b in fifo)
            {
                _rx.Enqueue(b);
            }

            Settle();
            neededAfter = NeedsImmediateWrites;
        }

        if (neededAfter != neededBefore)
        {
            // A restored guest driving the THR by interrupt must not have its writes queued, and one polling it again
            // may have them queued.
            (neededAfter ? ImmediateWritesNeeded : ImmediateWritesNoLongerNeeded)?.Invoke();
        }
    }
}
