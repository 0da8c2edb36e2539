using System.Globalization;

namespace SharpVmm.Configuration;

/// <summary>Guest MAC addresses as the configuration writes them: six hex bytes separated by ':'.</summary>
public static class MacAddress
{
    /// <summary>
    /// Parses <paramref name="text"/>, or for null gives the default address of card <paramref name="index"/>
    /// (52:54:00:12:34:(0x56 + index), QEMU's range).
    /// </summary>
    /// <exception cref="VmConfigurationException">Not six hex bytes, or a multicast address.</exception>
    public static byte[] ParseOrDefault(string? text, int index, string field)
    {
        if (text is null)
        {
            return [0x52, 0x54, 0x00, 0x12, 0x34, (byte)(0x56 + index)];
        }

        string[] octets = text.Split(':');
        var mac = new byte[6];
        if (octets.Length != 6 || !octets.Select((o, i) => o.Length is 1 or 2 &&
                byte.TryParse(o, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out mac[i])).All(ok => ok))
        {
            throw new VmConfigurationException(field, $"'{text}' is not a MAC address (six hex bytes, e.g. 52:54:00:12:34:56)");
        }

        if ((mac[0] & 1) != 0)
        {
            throw new VmConfigurationException(field, $"{text} is a multicast address; a card needs a unicast one (even first byte)");
        }

        return mac;
    }

    /// <summary>Writes <paramref name="mac"/> as <c>52:54:00:12:34:56</c>.</summary>
    public static string Format(ReadOnlySpan<byte> mac) => string.Join(':', mac.ToArray().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
}
