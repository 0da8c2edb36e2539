using SharpVmm.Devices.Bus;

namespace SharpVmm.Devices.Legacy;

/// <summary>
/// An 8042 PS/2 keyboard controller with a keyboard attached and an empty auxiliary (mouse) port, enough for
/// Linux's i8042 and atkbd drivers to probe it and for the guest to reboot through it (command 0xFE or a
/// write to the output port that drops its reset line). Command set and bit names follow the IBM PS/2
/// Hardware Interface Technical Reference, "Keyboard/Auxiliary Device Controller".
/// </summary>
/// <remarks>
/// Register it either over the 5-port window 0x60..0x64 (<see cref="PortCount"/>: offset <see cref="DataOffset"/>
/// is the data port, offset <see cref="StatusCommandOffset"/> the status/command port, offsets 1-3 float), or,
/// to leave port 0x61 (system control port B) to another device, register <see cref="DataPort"/> at 0x60 and
/// <see cref="StatusCommandPort"/> at 0x64, one port each.
/// </remarks>
public sealed partial class I8042Controller : IBusDevice
{
    /// <summary>Number of I/O ports of the window from the data port (0x60) to the status/command port (0x64).</summary>
    public const int PortCount = 5;

    /// <summary>Offset of the data port (0x60) in the window.</summary>
    public const int DataOffset = 0;

    /// <summary>Offset of the status (read) / command (write) port (0x64) in the window.</summary>
    public const int StatusCommandOffset = 4;

    /// <summary>Bytes the output side holds before further bytes are dropped (Linux flushes at most 16).</summary>
    public const int OutputBufferDepth = 16;

    /// <summary>Command byte after power-on self test, as a PC BIOS leaves it: translation, system flag, both interrupts.</summary>
    public const byte DefaultCommandByte = CtrTranslate | CtrSystemFlag | CtrAuxInterrupt | CtrKeyboardInterrupt;

    // Status register bits ("Status Register").
    private const byte StatusOutputFull = 0x01, StatusInputFull = 0x02, StatusSystemFlag = 0x04, StatusCommandData = 0x08;
    private const byte StatusNotInhibited = 0x10, StatusAuxData = 0x20, StatusTimeout = 0x40;

    // Controller command byte bits ("Controller Command Byte").
    private const byte CtrKeyboardInterrupt = 0x01, CtrAuxInterrupt = 0x02, CtrSystemFlag = 0x04;
    private const byte CtrKeyboardDisabled = 0x10, CtrAuxDisabled = 0x20, CtrTranslate = 0x40;

    // Controller commands written to port 0x64 ("Controller Commands").
    private const byte CmdReadRamFirst = 0x20, CmdReadRamLast = 0x3F, CmdWriteRamFirst = 0x60, CmdWriteRamLast = 0x7F;
    private const byte CmdDisableAux = 0xA7, CmdEnableAux = 0xA8, CmdAuxInterfaceTest = 0xA9, CmdSelfTest = 0xAA;
    private const byte CmdKeyboardInterfaceTest = 0xAB, CmdDisableKeyboard = 0xAD, CmdEnableKeyboard = 0xAE;
    private const byte CmdReadInputPort = 0xC0, CmdReadOutputPort = 0xD0, CmdWriteOutputPort = 0xD1;
    private const byte CmdWriteKeyboardBuffer = 0xD2, CmdWriteAuxBuffer = 0xD3, CmdWriteAux = 0xD4;
    private const byte CmdReadTestInputs = 0xE0, CmdPulseFirst = 0xF0;

    // Output port bits ("Output Port"): bit 0 drives the processor's reset line (active low), bit 1 gates A20.
    private const byte OutputPortReset = 0x01, OutputPortA20 = 0x02;

    // Controller replies.
    private const byte SelfTestPassed = 0x55, InterfaceTestPassed = 0x00;

    // Auxiliary-device byte answered when nothing is attached: resend/error, with the status timeout bit.
    private const byte AuxNoDevice = 0xFE;

    private readonly Lock _lock = new();
    private readonly List<OutputByte> _output = new(OutputBufferDepth);
    private readonly byte[] _ram = new byte[32]; // controller RAM; byte 0 is the command byte
    private readonly Ps2Keyboard _keyboard = new();
    private readonly IInterruptLine _keyboardIrq;
    private readonly IInterruptLine _auxIrq;
    private readonly Action? _resetRequested;
    private byte _outputPort = 0xCF; // reset inactive, A20 enabled, buffers-full lines as a BIOS leaves them
    private byte _pendingCommand; // a command waiting for its parameter byte on port 0x60, or 0
    private byte _lastRead;
    private bool _lastWriteWasCommand;
    private bool _keyboardIrqHigh, _auxIrqHigh;

    /// <summary>
    /// Creates a controller. <paramref name="keyboardIrq"/> is IRQ 1, <paramref name="auxIrq"/> IRQ 12;
    /// <paramref name="resetRequested"/> is called (outside the device lock) when the guest pulses the reset line.
    /// </summary>
    public I8042Controller(IInterruptLine? keyboardIrq = null, IInterruptLine? auxIrq = null, Action? resetRequested = null)
    {
        _keyboardIrq = keyboardIrq ?? NullInterruptLine.Instance;
        _auxIrq = auxIrq ?? NullInterruptLine.Instance;
        _resetRequested = resetRequested;
        _ram[0] = DefaultCommandByte;
        DataPort = new I8042Port(this, DataOffset);
        StatusCommandPort = new I8042Port(this, StatusCommandOffset);
        PublishStatus(); // nothing shares the controller yet
    }

    /// <summary>The data port (0x60) alone, for registering as a one-port device.</summary>
    public IBusDevice DataPort { get; }

    /// <summary>The status/command port (0x64) alone, for registering as a one-port device.</summary>
    public IBusDevice StatusCommandPort { get; }

    /// <summary>The controller command byte (controller RAM byte 0).</summary>
    public byte CommandByte
    {
        get
        {
            lock (_lock)
            {
                return _ram[0];
            }
        }
    }

    /// <summary>Whether the output port gates address line A20 open.</summary>
    public bool A20Enabled
    {
        get
        {
            lock (_lock)
            {
                return (_outputPort & OutputPortA20) != 0;
            }
        }
    }

    /// <summary>Number of times the guest pulsed the processor reset line.</summary>
    public long ResetRequests { get; private set; }

    /// <summary>Bytes dropped because the output buffer was full, or commands the controller does not know.</summary>
    public long IgnoredGuestAccesses { get; private set; }

    /// <summary>Hands scan codes from the host to the guest as if typed on the keyboard.</summary>
    public void EnqueueKeyboardData(ReadOnlySpan<byte> scanCodes)
    {
        lock (_lock)
        {
            foreach (byte b in scanCodes)
            {
                Push(b, OutputSource.Keyboard);
            }

            UpdateInterrupts();
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
            data[0] = offset switch
            {
                DataOffset => ReadData(),
                StatusCommandOffset => ReadStatus(),
                _ => 0xFF,
            };
            data[1..].Clear();
            UpdateInterrupts();
        }
    }

    /// <inheritdoc />
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        bool reset;
        lock (_lock)
        {
            reset = offset switch
            {
                DataOffset => WriteData(data[0]),
                StatusCommandOffset => WriteCommand(data[0]),
                _ => false,
            };
            if (reset)
            {
                ResetRequests++;
            }

            UpdateInterrupts();
        }

        // Outside the lock: the VMM may stop vCPUs that are waiting for it.
        if (reset)
        {
            _resetRequested?.Invoke();
        }
    }

    private byte ReadStatus()
    {
        byte status = StatusNotInhibited;
        if ((_ram[0] & CtrSystemFlag) != 0)
        {
            status |= StatusSystemFlag;
        }

        if (_lastWriteWasCommand)
        {
            status |= StatusCommandData;
        }

        if (NextVisible() is { } next)
        {
            status |= StatusOutputFull;
            if (next.Source == OutputSource.Aux)
            {
                status |= StatusAuxData;
            }

            if (next.Timeout)
            {
                status |= StatusTimeout;
            }
        }

        // Input is consumed at once, so the input buffer is never full (StatusInputFull stays clear).
        return (byte)(status & ~StatusInputFull);
    }

    private byte ReadData()
    {
        int index = NextVisibleIndex();
        if (index >= 0)
        {
            _lastRead = _output[index].Value;
            _output.RemoveAt(index);

            // The buffer empties before the next byte loads, so each byte is its own interrupt edge.
            LowerInterrupts();
        }

        // An empty output buffer still presents the last byte on the bus, as the real latch does.
        return _lastRead;
    }

    private void Push(byte value, OutputSource source, bool timeout = false, bool written = false)
    {
        if (_output.Count >= OutputBufferDepth)
        {
            IgnoredGuestAccesses++;
            return;
        }

        _output.Add(new OutputByte(value, source, timeout, written));
    }

    // The byte in the output buffer. A disabled interface holds its device's bytes back (they wait in the
    // device), so controller replies and the other device's bytes overtake them.
    private int NextVisibleIndex()
    {
        for (int i = 0; i < _output.Count; i++)
        {
            OutputByte b = _output[i];
            bool held = !b.Written && b.Source switch
            {
                OutputSource.Keyboard => (_ram[0] & CtrKeyboardDisabled) != 0,
                OutputSource.Aux => (_ram[0] & CtrAuxDisabled) != 0 && !b.Timeout,
                _ => false,
            };
            if (!held)
            {
                return i;
            }
        }

        return -1;
    }

    private OutputByte? NextVisible()
    {
        int index = NextVisibleIndex();
        return index >= 0 ? _output[index] : null;
    }

    private void LowerInterrupts()
    {
        if (_keyboardIrqHigh)
        {
            _keyboardIrqHigh = false;
            _keyboardIrq.SetLevel(false);
        }

        if (_auxIrqHigh)
        {
            _auxIrqHigh = false;
            _auxIrq.SetLevel(false);
        }
    }

    private void UpdateInterrupts()
    {
        PublishStatus(); // first: a guest the interrupt wakes must read the state that raised it
        OutputByte? next = NextVisible();
        bool aux = next is { Source: OutputSource.Aux };
        bool keyboardHigh = next is not null && !aux && (_ram[0] & CtrKeyboardInterrupt) != 0;
        bool auxHigh = aux && (_ram[0] & CtrAuxInterrupt) != 0;
        if (keyboardHigh != _keyboardIrqHigh)
        {
            _keyboardIrqHigh = keyboardHigh;
            _keyboardIrq.SetLevel(keyboardHigh);
        }

        if (auxHigh != _auxIrqHigh)
        {
            _auxIrqHigh = auxHigh;
            _auxIrq.SetLevel(auxHigh);
        }
    }

    private enum OutputSource
    {
        Controller,
        Keyboard,
        Aux,
    }

    private readonly record struct OutputByte(byte Value, OutputSource Source, bool Timeout, bool Written);
}
