namespace SharpVmm.Gdb;

/// <summary>
/// Splits the byte stream gdb sends a stub into packets, acknowledgements and interrupts, however the stream is cut into
/// reads. <see cref="Feed"/> takes bytes as they arrive; <see cref="TryRead"/> hands out what they completed, in order.
/// </summary>
/// <remarks>
/// <para>
/// Between packets: <c>$</c> opens a packet, 0x03 is <see cref="GdbInputKind.Interrupt"/>, <c>+</c> and <c>-</c> are
/// <see cref="GdbInputKind.Ack"/> and <see cref="GdbInputKind.Nack"/>; any other byte is line noise and is skipped.
/// Inside a packet every byte up to <c>#</c> is payload (0x03, <c>+</c> and <c>-</c> included: binary data is not
/// escaped for them), then come two hex checksum digits. A <c>$</c> inside a packet cannot be payload (gdb escapes it),
/// so it means the packet was cut short: the partial packet is dropped unreported and a new one begins.
/// </para>
/// <para>
/// Memory stays bounded: at most <see cref="MaxPacketSize"/> payload bytes are kept; a longer packet is read to its end,
/// dropped and reported as <see cref="GdbInputKind.BadChecksum"/>. No input makes the reader throw.
/// </para>
/// </remarks>
public sealed class GdbPacketReader
{
    /// <summary>The longest payload (bytes between <c>$</c> and <c>#</c>, escapes included) a packet may have.</summary>
    public const int MaxPacketSize = 0x4000;

    private const byte Interrupt = 0x03;

    private readonly Queue<GdbInput> _ready = new();
    private readonly byte[] _payload = new byte[MaxPacketSize];
    private State _state = State.BetweenPackets;
    private int _length;
    private bool _tooLong;
    private byte _sum;
    private int _firstDigit;

    private enum State
    {
        BetweenPackets,
        Payload,
        FirstDigit,
        SecondDigit,
    }

    /// <summary>How many completed items wait to be taken with <see cref="TryRead"/>.</summary>
    public int Pending => _ready.Count;

    /// <summary>Parses <paramref name="bytes"/>, the next bytes of the stream; they may end anywhere, even mid-packet.</summary>
    public void Feed(ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            Step(b);
        }
    }

    /// <summary>Takes the oldest completed item; false when none is waiting.</summary>
    public bool TryRead(out GdbInput input) => _ready.TryDequeue(out input);

    private void Step(byte b)
    {
        switch (_state)
        {
            case State.BetweenPackets:
                BetweenPackets(b);
                break;
            case State.Payload:
                Payload(b);
                break;
            case State.FirstDigit:
                _firstDigit = HexValue(b);
                _state = State.SecondDigit;
                break;
            default:
                Finish(HexValue(b));
                break;
        }
    }

    private void BetweenPackets(byte b)
    {
        switch (b)
        {
            case (byte)'$':
                Start();
                break;
            case Interrupt:
                _ready.Enqueue(new GdbInput(GdbInputKind.Interrupt, []));
                break;
            case (byte)'+':
                _ready.Enqueue(new GdbInput(GdbInputKind.Ack, []));
                break;
            case (byte)'-':
                _ready.Enqueue(new GdbInput(GdbInputKind.Nack, []));
                break;
            default:
                break; // line noise between packets
        }
    }

    private void Payload(byte b)
    {
        if (b == (byte)'#')
        {
            _state = State.FirstDigit;
        }
        else if (b == (byte)'$')
        {
            Start(); // the previous packet was cut short; gdb will send it again
        }
        else if (_length < MaxPacketSize)
        {
            _payload[_length++] = b;
            _sum += b;
        }
        else
        {
            _tooLong = true;
        }
    }

    private void Start()
    {
        _state = State.Payload;
        _length = 0;
        _tooLong = false;
        _sum = 0;
    }

    private void Finish(int secondDigit)
    {
        _state = State.BetweenPackets;
        bool intact = !_tooLong && _firstDigit >= 0 && secondDigit >= 0 && ((_firstDigit << 4) | secondDigit) == _sum;
        _ready.Enqueue(intact
            ? new GdbInput(GdbInputKind.Packet, _payload.AsSpan(0, _length).ToArray())
            : new GdbInput(GdbInputKind.BadChecksum, []));
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
