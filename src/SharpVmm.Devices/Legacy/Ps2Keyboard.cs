namespace SharpVmm.Devices.Legacy;

/// <summary>
/// The command side of a PS/2 keyboard behind an <see cref="I8042Controller"/>: it answers what the guest
/// sends to port 0x60. Command and reply codes follow the IBM PS/2 Hardware Interface Technical Reference,
/// "Keyboard Commands" and "Keyboard Outputs". Not thread-safe; the controller serialises calls.
/// </summary>
internal sealed class Ps2Keyboard
{
    /// <summary>Most reply bytes one received byte produces.</summary>
    public const int MaxReplyLength = 3;

    // Commands from the system.
    private const byte SetLeds = 0xED, Echo = 0xEE, SelectScanCodeSet = 0xF0, ReadId = 0xF2, SetTypematic = 0xF3;
    private const byte Enable = 0xF4, DefaultDisable = 0xF5, SetDefault = 0xF6, FirstSetAllKeys = 0xF7, LastSetKey = 0xFD;
    private const byte Resend = 0xFE, Reset = 0xFF;

    // Keyboard outputs.
    private const byte Ack = 0xFA, BatCompleted = 0xAA, EchoReply = 0xEE, ResendReply = 0xFE;
    private const byte IdFirst = 0xAB, IdSecond = 0x83, IdSecondTranslated = 0x41;

    private byte _pendingCommand; // a command waiting for its argument byte, or 0
    private byte _scanCodeSet = 2;
    private byte _lastReply = Ack;

    /// <summary>Whether the keyboard is scanning (sends key codes); cleared by 0xF5, set by 0xF4 and reset.</summary>
    public bool ScanningEnabled { get; private set; } = true;

    /// <summary>The keyboard's LED state from the last 0xED command (bit 0 scroll, 1 num, 2 caps lock).</summary>
    public byte Leds { get; private set; }

    /// <summary>
    /// Takes one byte from the system and writes the keyboard's reply into <paramref name="replies"/>
    /// (at least <see cref="MaxReplyLength"/> bytes); returns the reply length. <paramref name="translated"/> says
    /// whether the controller translates to scan code set 1, which changes the bytes the keyboard's ID reads as.
    /// </summary>
    public int Receive(byte value, bool translated, Span<byte> replies)
    {
        int length = Answer(value, translated, replies);
        if (length > 0)
        {
            _lastReply = replies[length - 1];
        }

        return length;
    }

    /// <summary>The keyboard's state.</summary>
    public Ps2KeyboardState SaveState() => new()
    {
        PendingCommand = _pendingCommand, ScanCodeSet = _scanCodeSet, LastReply = _lastReply,
        ScanningEnabled = ScanningEnabled, Leds = Leds,
    };

    /// <summary>Checks <paramref name="state"/> without applying it.</summary>
    public static void Validate(Ps2KeyboardState state, string device)
    {
        DeviceStateException.Require(state.PendingCommand is 0 or SetLeds or SelectScanCodeSet or SetTypematic, device,
            "Keyboard.PendingCommand", "is not a command that takes an argument");
        DeviceStateException.Require(state.ScanCodeSet is >= 1 and <= 3, device, "Keyboard.ScanCodeSet", "is not 1, 2 or 3");
        DeviceStateException.Require(state.Leds <= 7, device, "Keyboard.Leds", "has bits above 2");
    }

    /// <summary>Applies a state <see cref="Validate"/> accepted.</summary>
    public void Apply(Ps2KeyboardState state)
    {
        (_pendingCommand, _scanCodeSet, _lastReply) = (state.PendingCommand, state.ScanCodeSet, state.LastReply);
        (ScanningEnabled, Leds) = (state.ScanningEnabled, state.Leds);
    }

    private int Answer(byte value, bool translated, Span<byte> replies)
    {
        byte pending = _pendingCommand;
        _pendingCommand = 0;

        // A command byte always starts a new command, even when an argument was expected.
        if (pending != 0 && value < SetLeds)
        {
            switch (pending)
            {
                case SetLeds:
                    Leds = (byte)(value & 0x07);
                    break;
                case SelectScanCodeSet when value == 0:
                    replies[0] = Ack;
                    replies[1] = translated ? TranslatedSetNumber(_scanCodeSet) : _scanCodeSet;
                    return 2;
                case SelectScanCodeSet when value <= 3:
                    _scanCodeSet = value;
                    break;
                case SelectScanCodeSet:
                    replies[0] = ResendReply;
                    return 1;
                default:
                    break; // typematic rate/delay: accepted, no effect on a virtual keyboard
            }

            replies[0] = Ack;
            return 1;
        }

        switch (value)
        {
            case SetLeds or SelectScanCodeSet or SetTypematic:
                _pendingCommand = value;
                replies[0] = Ack;
                return 1;
            case Echo:
                replies[0] = EchoReply;
                return 1;
            case ReadId:
                replies[0] = Ack;
                replies[1] = IdFirst;
                replies[2] = translated ? IdSecondTranslated : IdSecond;
                return 3;
            case Enable:
                ScanningEnabled = true;
                replies[0] = Ack;
                return 1;
            case DefaultDisable:
                SetDefaults();
                ScanningEnabled = false;
                replies[0] = Ack;
                return 1;
            case SetDefault:
                SetDefaults();
                replies[0] = Ack;
                return 1;
            case >= FirstSetAllKeys and <= LastSetKey:
                replies[0] = Ack; // key-type commands (scan code set 3 only): accepted, no effect
                return 1;
            case Resend:
                replies[0] = _lastReply;
                return 1;
            case Reset:
                SetDefaults();
                Leds = 0;
                ScanningEnabled = true;
                replies[0] = Ack;
                replies[1] = BatCompleted;
                return 2;
            default:
                replies[0] = ResendReply; // not a command: ask the system to send it again
                return 1;
        }
    }

    private void SetDefaults() => _scanCodeSet = 2;

    // Set numbers as they read through the controller's set-2-to-set-1 translation.
    private static byte TranslatedSetNumber(byte set) => set switch
    {
        1 => 0x43,
        2 => 0x41,
        _ => 0x3F,
    };
}
