using System.Buffers;

namespace SharpVmm.Cli.Terminal;

/// <summary>
/// Filters console input on its way to the guest's serial port for QEMU's escape sequences (QEMU
/// docs/system/mux-chardev: "Ctrl-a h", "Ctrl-a x", "Ctrl-a Ctrl-a"...). Ctrl-A x asks to quit, Ctrl-A h or ?
/// asks for help, Ctrl-A b for a break, Ctrl-A Ctrl-A sends one Ctrl-A; as in QEMU, any other Ctrl-A sequence
/// is swallowed whole. An escape split across two reads is recognised. Not thread-safe: one reader owns it.
/// </summary>
public sealed class SerialEscapeFilter
{
    /// <summary>The escape byte, Ctrl-A.</summary>
    public const byte EscapeByte = 0x01;

    /// <summary>The text to show for <see cref="SerialEscapeRequests.Help"/>; lines end in CR LF for a raw terminal.</summary>
    public const string HelpText =
        "C-a h    print this help\r\n" +
        "C-a x    exit the VMM\r\n" +
        "C-a b    send break (magic sysrq)\r\n" +
        "C-a C-a  sends C-a\r\n";

    private bool _escapePending;
    private bool _quit;

    /// <summary>Whether the last byte seen was an unfinished Ctrl-A.</summary>
    public bool EscapePending => _escapePending;

    /// <summary>
    /// Filters <paramref name="input"/>, writing the bytes meant for the guest to <paramref name="guest"/>, which must
    /// be at least as long as the input (the output is never longer). After a quit request all input is dropped.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="guest"/> is shorter than <paramref name="input"/>.</exception>
    public SerialEscapeResult Filter(ReadOnlySpan<byte> input, Span<byte> guest)
    {
        if (guest.Length < input.Length)
        {
            throw new ArgumentException("the output span must be at least as long as the input", nameof(guest));
        }

        int written = 0;
        var requests = SerialEscapeRequests.None;
        foreach (byte b in input)
        {
            if (_quit)
            {
                break;
            }

            if (!_escapePending)
            {
                if (b == EscapeByte)
                {
                    _escapePending = true;
                }
                else
                {
                    guest[written++] = b;
                }

                continue;
            }

            _escapePending = false;
            switch (b)
            {
                case EscapeByte:
                    guest[written++] = EscapeByte;
                    break;
                case (byte)'x':
                    _quit = true;
                    requests |= SerialEscapeRequests.Quit;
                    break;
                case (byte)'h' or (byte)'?':
                    requests |= SerialEscapeRequests.Help;
                    break;
                case (byte)'b':
                    requests |= SerialEscapeRequests.Break;
                    break;
                default:
                    break; // unknown commands vanish, as in QEMU's mux_proc_byte
            }
        }

        return new SerialEscapeResult(written, requests);
    }

    /// <summary>Filters <paramref name="input"/>, appending the bytes meant for the guest to <paramref name="guest"/>.</summary>
    public SerialEscapeResult Filter(ReadOnlySpan<byte> input, IBufferWriter<byte> guest)
    {
        ArgumentNullException.ThrowIfNull(guest);
        if (input.IsEmpty)
        {
            return default;
        }

        SerialEscapeResult result = Filter(input, guest.GetSpan(input.Length));
        guest.Advance(result.GuestBytes);
        return result;
    }
}
