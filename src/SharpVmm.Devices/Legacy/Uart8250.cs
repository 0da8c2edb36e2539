using SharpVmm.Devices.Bus;

namespace SharpVmm.Devices.Legacy;

/// <summary>
/// A 16550A UART (register set of the National Semiconductor PC16550D datasheet, section 8).
/// Transmitted bytes go to <see cref="Output"/> through a bounded buffer drained by a writer thread, so a vCPU never
/// waits on the host's reader (bytes that do not fit are dropped, <see cref="BytesLost"/>); received bytes come from
/// <see cref="EnqueueInput"/>. The interrupt output is gated by MCR.OUT2, as on every PC serial port. The registers a
/// read does not change (IER or DLM, LCR, MCR, MSR, SCR, and LSR while no error bit waits in it) are published to the
/// bus (<see cref="IPublishesRegisters"/>), so a polling driver's reads do not call into the UART.
/// </summary>
public sealed partial class Uart8250 : IRepeatedWriteDevice, IPublishesRegisters, IPausable, IDisposable
{
    /// <summary>How many transmitted bytes wait for a slow reader of <see cref="Output"/>; more are dropped.</summary>
    public const int OutputBufferSize = SerialOutputQueue.Capacity;

    /// <summary>How long <see cref="Pause"/> (before a snapshot) waits for queued output to reach <see cref="Output"/>.</summary>
    public static readonly TimeSpan PauseDrainTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Number of I/O ports the UART decodes.</summary>
    public const int PortCount = 8;

    /// <summary>The line status register's offset from the UART's first port.</summary>
    public const int LineStatusOffset = Lsr;

    // Register offsets (datasheet table II).
    private const int RbrThrDll = 0, IerDlm = 1, IirFcr = 2, Lcr = 3, Mcr = 4, Lsr = 5, Msr = 6, Scr = 7;

    // IER bits.
    private const byte IerRxData = 0x01, IerThrEmpty = 0x02, IerLineStatus = 0x04, IerModemStatus = 0x08;

    // IIR values: bit 0 set means "no interrupt pending"; bits 6-7 report FIFOs enabled.
    private const byte IirNone = 0x01, IirThrEmpty = 0x02, IirRxData = 0x04, IirLineStatus = 0x06, IirFifoEnabled = 0xC0;

    // LCR, MCR, LSR, MSR bits.
    private const byte LcrDlab = 0x80;
    private const byte McrDtr = 0x01, McrRts = 0x02, McrOut1 = 0x04, McrOut2 = 0x08, McrLoop = 0x10;
    private const byte LsrDataReady = 0x01, LsrOverrun = 0x02, LsrThrEmpty = 0x20, LsrTransmitterEmpty = 0x40;
    private const byte MsrCts = 0x10, MsrDsr = 0x20, MsrRi = 0x40, MsrDcd = 0x80;

    /// <summary>Receive buffer depth; bytes beyond it are dropped with an overrun, as on hardware.</summary>
    public const int ReceiveBufferSize = 1024;

    private readonly Lock _lock = new();
    private readonly Queue<byte> _rx = new();
    private readonly IInterruptLine _irq;
    private byte _ier, _lcr, _mcr, _scr, _fcr, _lsrErrors;
    private byte _dll = 0x0C, _dlm; // 9600 baud, the BIOS default
    private bool _thrEmptyPending;
    private bool _irqHigh;
    private readonly SerialOutputQueue _transmitter;
    // The registers a read leaves as they are, published to the bus (LSR only while no error bit waits in it). Writing
    // IER (DLM under DLAB), LCR, MCR or SCR its own value back changes nothing: the THR-empty interrupt is raised only
    // when IER's enable goes from clear to set (as QEMU's model does; some real parts raise it again on any IER write
    // with the enable set, and a model that did so could not let the bus drop IER's rewrites).
    private readonly PublishedRegister _interruptEnable = new(IerDlm, true), _lineControl = new(Lcr, true), _modemControl = new(Mcr, true);
    private readonly PublishedRegister _lineStatus = new(Lsr), _modemStatus = new(Msr), _scratch = new(Scr, true);

    /// <summary>Creates a UART writing to <paramref name="output"/> and raising <paramref name="irq"/>.</summary>
    public Uart8250(Stream output, IInterruptLine? irq = null)
    {
        Output = output;
        _irq = irq ?? NullInterruptLine.Instance;
        _transmitter = new SerialOutputQueue(output, error => OutputFailed?.Invoke(error));
        PublishedRegisters = [_lineStatus, _interruptEnable, _lineControl, _modemControl, _modemStatus, _scratch]; // the busiest first
        Settle(); // nothing shares the UART yet
    }

    /// <inheritdoc />
    /// <remarks>None of them depends on what the guest writes to the THR outside loopback: a byte leaves at once, so the
    /// line status always shows the transmitter empty.</remarks>
    public IReadOnlyList<PublishedRegister> PublishedRegisters { get; }

    /// <summary>Where transmitted bytes go.</summary>
    public Stream Output { get; }

    /// <summary>
    /// Whether the guest's driver depends on each THR write reaching the UART at once: the THR-empty interrupt is
    /// enabled (an interrupt-driven driver fills the transmitter, then waits for that interrupt), or loopback mode
    /// routes transmitted bytes to the receiver. While it is false the guest polls LSR before each byte, so a VMM may
    /// queue THR writes and deliver them before the UART's next read (coalesced port I/O).
    /// </summary>
    public bool NeedsImmediateWrites => (Volatile.Read(ref _ier) & IerThrEmpty) != 0 || (Volatile.Read(ref _mcr) & McrLoop) != 0;

    /// <summary>
    /// Raised when <see cref="NeedsImmediateWrites"/> turns true, on the thread that wrote IER or MCR or restored a
    /// state, after the UART's lock is released.
    /// </summary>
    public event Action? ImmediateWritesNeeded;

    /// <summary>
    /// Raised when <see cref="NeedsImmediateWrites"/> turns false again, on the thread that wrote IER or MCR or restored
    /// a state, after the UART's lock is released.
    /// </summary>
    public event Action? ImmediateWritesNoLongerNeeded;

    /// <summary>Before a snapshot (the vCPUs are parked): queued output reaches <see cref="Output"/>, at most
    /// <see cref="PauseDrainTimeout"/>, since the process may end right after.</summary>
    public void Pause() => FlushOutput(PauseDrainTimeout);

    /// <summary>Nothing to resume: the writer thread never stops.</summary>
    public void Resume()
    {
    }

    /// <summary>Drains queued output for a short while, then ends the writer thread.</summary>
    public void Dispose() => _transmitter.Dispose();

    /// <summary>Hands bytes from the host (a terminal, a file) to the guest's receiver.</summary>
    public void EnqueueInput(ReadOnlySpan<byte> bytes)
    {
        lock (_lock)
        {
            foreach (byte b in bytes)
            {
                if (_rx.Count >= ReceiveBufferSize)
                {
                    _lsrErrors |= LsrOverrun;
                    break;
                }

                _rx.Enqueue(b);
            }

            Settle();
        }
    }

    /// <inheritdoc />
    public void Read(ulong offset, Span<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        lock (_lock)
        {
            data[0] = ReadRegister((int)offset);
            data[1..].Clear();
            Settle();
        }
    }

    /// <inheritdoc />
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        bool neededBefore, neededAfter;
        lock (_lock)
        {
            neededBefore = NeedsImmediateWrites;
            WriteRegister((int)offset, data[0]);
            Settle();
            neededAfter = NeedsImmediateWrites;
        }

        if (neededAfter != neededBefore)
        {
            (neededAfter ? ImmediateWritesNeeded : ImmediateWritesNoLongerNeeded)?.Invoke();
        }
    }

    /// <inheritdoc />
    /// <remarks>A run of bytes for the transmitter (the writes KVM queued while the guest printed) is queued for output
    /// in one go; any other run is written one by one.</remarks>
    public void WriteRepeated(ulong offset, int accessSize, ReadOnlySpan<byte> data)
    {
        if (accessSize != 1 || offset != RbrThrDll)
        {
            for (int i = 0; i + accessSize <= data.Length; i += accessSize)
            {
                Write(offset, data.Slice(i, accessSize));
            }

            return;
        }

        lock (_lock)
        {
            if (Dlab || (_mcr & McrLoop) != 0)
            {
                foreach (byte value in data)
                {
                    WriteRegister(RbrThrDll, value);
                    Settle();
                }

                return;
            }

            // Each byte leaves at once and only sets THR-empty, which one interrupt update after the run covers.
            if (!data.IsEmpty)
            {
                _transmitter.Enqueue(data);
                _thrEmptyPending = true;
                Settle();
            }
        }
    }

    private bool Dlab => (_lcr & LcrDlab) != 0;

    private byte ReadRegister(int register)
    {
        switch (register)
        {
            case RbrThrDll when Dlab:
                return _dll;
            case RbrThrDll:
                return _rx.TryDequeue(out byte b) ? b : (byte)0;
            case IerDlm:
                return Dlab ? _dlm : _ier;
            case IirFcr:
                byte iir = Identify();
                if (iir == IirThrEmpty)
                {
                    _thrEmptyPending = false; // reading IIR clears a THR-empty interrupt (datasheet table IV)
                }

                return (byte)(iir | ((_fcr & 0x01) != 0 ? IirFifoEnabled : 0));
            case Lcr:
                return _lcr;
            case Mcr:
                return _mcr;
            case Lsr:
                byte lsr = LineStatus();
                _lsrErrors = 0;
                return lsr;
            case Msr:
                return ModemStatus();
            case Scr:
                return _scr;
            default:
                return 0xFF;
        }
    }

    private void WriteRegister(int register, byte value)
    {
        switch (register)
        {
            case RbrThrDll when Dlab:
                _dll = value;
                break;
            case RbrThrDll:
                Transmit(value);
                break;
            case IerDlm when Dlab:
                _dlm = value;
                break;
            case IerDlm:
                bool enablingThrEmpty = (value & IerThrEmpty) != 0 && (_ier & IerThrEmpty) == 0;
                _ier = (byte)(value & (IerRxData | IerThrEmpty | IerLineStatus | IerModemStatus));
                if (enablingThrEmpty)
                {
                    _thrEmptyPending = true; // the transmitter is always empty here
                }

                break;
            case IirFcr:
                _fcr = value;
                if ((value & 0x02) != 0)
                {
                    _rx.Clear(); // "clear receiver FIFO"
                }

                break;
            case Lcr:
                _lcr = value;
                break;
            case Mcr:
                _mcr = (byte)(value & 0x1F);
                break;
            case Scr:
                _scr = value;
                break;
            default:
                break; // LSR and MSR are read-only
        }
    }

    private void Transmit(byte value)
    {
        if ((_mcr & McrLoop) != 0)
        {
            if (_rx.Count < ReceiveBufferSize)
            {
                _rx.Enqueue(value);
            }
        }
        else
        {
            Emit(value);
        }

        // The byte leaves at once, so THR is empty again: raise the THR-empty interrupt if enabled.
        _thrEmptyPending = true;
    }

    // Under _lock; never blocks (the writer thread meets the host's stream, its stalls and its failures).
    private void Emit(byte value) => _transmitter.Enqueue(value);

    private byte ModemStatus()
    {
        if ((_mcr & McrLoop) != 0)
        {
            // Loopback wires DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD (datasheet section 8.6).
            return (byte)(((_mcr & McrRts) != 0 ? MsrCts : 0) | ((_mcr & McrDtr) != 0 ? MsrDsr : 0)
                | ((_mcr & McrOut1) != 0 ? MsrRi : 0) | ((_mcr & McrOut2) != 0 ? MsrDcd : 0));
        }

        return MsrDcd | MsrDsr | MsrCts;
    }

    // Highest-priority pending interrupt, per datasheet table IV.
    private byte Identify()
    {
        if ((_ier & IerLineStatus) != 0 && _lsrErrors != 0)
        {
            return IirLineStatus;
        }

        if ((_ier & IerRxData) != 0 && _rx.Count > 0)
        {
            return IirRxData;
        }

        if ((_ier & IerThrEmpty) != 0 && _thrEmptyPending)
        {
            return IirThrEmpty;
        }

        return IirNone;
    }

    private byte LineStatus() => (byte)(LsrThrEmpty | LsrTransmitterEmpty | _lsrErrors | (_rx.Count > 0 ? LsrDataReady : 0));

    // Under _lock, after every change: the published registers and the interrupt line follow the state.
    private void Settle()
    {
        // The registers first: a guest the interrupt wakes must read the state that raised it.
        _interruptEnable.Publish(Dlab ? _dlm : _ier);
        _lineControl.Publish(_lcr);
        _modemControl.Publish(_mcr);
        _modemStatus.Publish(ModemStatus());
        _scratch.Publish(_scr);
        if (_lsrErrors == 0)
        {
            _lineStatus.Publish(LineStatus());
        }
        else
        {
            _lineStatus.Withdraw();
        }

        UpdateInterrupt();
    }

    private void UpdateInterrupt()
    {
        bool high = Identify() != IirNone && (_mcr & McrOut2) != 0;
        if (high != _irqHigh)
        {
            _irqHigh = high;
            _irq.SetLevel(high);
        }
    }
}
