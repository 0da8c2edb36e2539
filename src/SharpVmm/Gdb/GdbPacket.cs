using System.Text;

namespace SharpVmm.Gdb;

/// <summary>
/// Framing, escaping, checksums and hex text of the GDB Remote Serial Protocol: what a stub needs to build the packets
/// it sends and to decode the fields of the packets it receives.
/// </summary>
public static class GdbPacket
{
    /// <summary>The escape byte: the byte after it is the real byte XOR <see cref="EscapeXor"/>.</summary>
    public const byte Escape = (byte)'}';

    /// <summary>What an escaped byte is XORed with.</summary>
    public const byte EscapeXor = 0x20;

    /// <summary>
    /// The packet for <paramref name="payload"/>: <c>$</c>, the payload with <c>#</c>, <c>$</c>, <c>}</c> and <c>*</c>
    /// escaped (<c>}</c> then the byte XOR 0x20), <c>#</c>, and the checksum of the escaped bytes as two lowercase
    /// hex digits. Escaping <c>*</c> keeps gdb from reading binary data as run-length encoding.
    /// </summary>
    public static byte[] Frame(ReadOnlySpan<byte> payload)
    {
        int escapes = 0;
        foreach (byte b in payload)
        {
            escapes += NeedsEscape(b) ? 1 : 0;
        }

        byte[] packet = new byte[payload.Length + escapes + 4];
        int at = 0;
        packet[at++] = (byte)'$';
        foreach (byte b in payload)
        {
            if (NeedsEscape(b))
            {
                packet[at++] = Escape;
                packet[at++] = (byte)(b ^ EscapeXor);
            }
            else
            {
                packet[at++] = b;
            }
        }

        byte sum = Checksum(packet.AsSpan(1, at - 1));
        packet[at++] = (byte)'#';
        packet[at++] = LowerHexDigit(sum >> 4);
        packet[at] = LowerHexDigit(sum & 0xF);
        return packet;
    }

    /// <summary>The packet for an ASCII <paramref name="payload"/> (see <see cref="Frame(ReadOnlySpan{byte})"/>).</summary>
    public static byte[] Frame(string payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return Frame(Encoding.Latin1.GetBytes(payload));
    }

    /// <summary>The protocol's checksum: the sum of <paramref name="bytes"/> modulo 256.</summary>
    public static byte Checksum(ReadOnlySpan<byte> bytes)
    {
        byte sum = 0;
        foreach (byte b in bytes)
        {
            sum += b;
        }

        return sum;
    }

    /// <summary>
    /// Removes the escapes from binary data (an <c>X</c> packet's, say): <c>}</c> followed by x becomes x XOR 0x20. A
    /// lone <c>}</c> at the very end escapes nothing and is dropped, so the result comes out one byte short and a
    /// length check against the packet's own count fails.
    /// </summary>
    public static byte[] Unescape(ReadOnlySpan<byte> data)
    {
        var result = new byte[data.Length];
        int length = 0;
        for (int i = 0; i < data.Length; i++)
        {
            if (data[i] != Escape)
            {
                result[length++] = data[i];
            }
            else if (++i < data.Length)
            {
                result[length++] = (byte)(data[i] ^ EscapeXor);
            }
        }

        return length == result.Length ? result : result.AsSpan(0, length).ToArray();
    }

    /// <summary><paramref name="bytes"/> as lowercase hex, two digits per byte, in order.</summary>
    public static string ToHex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    /// <summary>
    /// Decodes hex text (either case) into <paramref name="into"/>; true only when <paramref name="hex"/> has exactly two
    /// digits per byte of <paramref name="into"/> and nothing else. On false, <paramref name="into"/> may be partly written.
    /// </summary>
    public static bool TryParseHex(ReadOnlySpan<char> hex, Span<byte> into)
    {
        if (hex.Length != into.Length * 2)
        {
            return false;
        }

        for (int i = 0; i < into.Length; i++)
        {
            int high = HexValue(hex[2 * i]), low = HexValue(hex[(2 * i) + 1]);
            if (high < 0 || low < 0)
            {
                return false;
            }

            into[i] = (byte)((high << 4) | low);
        }

        return true;
    }

    /// <summary>Decodes hex text (two digits per byte); null for an odd length or a character that is not a hex digit.</summary>
    public static byte[]? ParseHex(ReadOnlySpan<char> hex)
    {
        if (hex.Length % 2 != 0)
        {
            return null;
        }

        var bytes = new byte[hex.Length / 2];
        return TryParseHex(hex, bytes) ? bytes : null;
    }

    /// <summary>
    /// Reads a number written the way gdb writes addresses and lengths: hex digits, most significant first, no prefix
    /// (<c>ffffffff81000000</c>). False for empty text, a non-hex character or a value above 64 bits; leading zeros
    /// are fine.
    /// </summary>
    public static bool TryParseHexNumber(ReadOnlySpan<char> text, out ulong value)
    {
        value = 0;
        if (text.IsEmpty)
        {
            return false;
        }

        foreach (char c in text)
        {
            int digit = HexValue(c);
            if (digit < 0 || (value >> 60) != 0)
            {
                value = 0;
                return false;
            }

            value = (value << 4) | (uint)digit;
        }

        return true;
    }

    /// <summary>
    /// The reply to a <c>qXfer:...:read:annex:offset,length</c> request for <paramref name="document"/>: <c>m</c> and at
    /// most <paramref name="length"/> characters from <paramref name="offset"/> when more follow, <c>l</c> and the rest
    /// when they reach the end (just <c>l</c> at or past it). Frame the result before sending: the data is binary.
    /// </summary>
    public static string XferReply(string document, ulong offset, ulong length)
    {
        ArgumentNullException.ThrowIfNull(document);
        if (offset >= (ulong)document.Length)
        {
            return "l";
        }

        int start = (int)offset;
        int count = (int)Math.Min(length, (ulong)(document.Length - start));
        bool last = start + count == document.Length;
        return string.Concat(last ? "l" : "m", document.AsSpan(start, count));
    }

    private static bool NeedsEscape(byte b) => b is (byte)'#' or (byte)'$' or Escape or (byte)'*';

    private static byte LowerHexDigit(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
