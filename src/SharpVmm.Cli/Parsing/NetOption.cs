using System.Globalization;

namespace SharpVmm.Cli.Parsing;

/// <summary>
/// A <c>--net tap=NAME[,mac=XX:XX:XX:XX:XX:XX]</c> option: a virtio-net card backed by an existing or new TAP
/// interface (like Firecracker's <c>host_dev_name</c>/<c>guest_mac</c> and QEMU's <c>-netdev tap,ifname=</c>).
/// Without <c>mac=</c> the card gets a locally administered address in QEMU's 52:54:00 range, one per card.
/// </summary>
/// <param name="TapName">The host TAP interface name (at most 15 bytes).</param>
/// <param name="Mac">The guest's MAC address (6 bytes).</param>
public sealed record NetOption(string TapName, byte[] Mac)
{
    /// <summary>The longest interface name Linux accepts (IFNAMSIZ - 1).</summary>
    public const int MaxNameLength = 15;

    /// <summary>Parses the option's value; <paramref name="index"/> (0 for the first card) picks the default MAC.</summary>
    /// <exception cref="UsageException">The value is malformed.</exception>
    public static NetOption Parse(string text, int index = 0)
    {
        string? tap = null;
        byte[]? mac = null;
        foreach (string part in text.Split(','))
        {
            if (part.StartsWith("tap=", StringComparison.Ordinal))
            {
                tap = part["tap=".Length..];
                if (tap.Length is 0 or > MaxNameLength || tap.Any(c => c is '/' or ' ' or < '!' or > '~'))
                {
                    throw new UsageException($"--net: '{tap}' is not a valid interface name (1 to {MaxNameLength} characters, no '/' or spaces)");
                }
            }
            else if (part.StartsWith("mac=", StringComparison.Ordinal))
            {
                mac = ParseMac(part["mac=".Length..]);
            }
            else
            {
                throw new UsageException($"--net: unknown setting '{part}' (expected tap=NAME[,mac=XX:XX:XX:XX:XX:XX])");
            }
        }

        if (tap is null)
        {
            throw new UsageException($"--net: '{text}' names no TAP interface (expected tap=NAME[,mac=...])");
        }

        return new NetOption(tap, mac ?? [0x52, 0x54, 0x00, 0x12, 0x34, (byte)(0x56 + index)]);
    }

    /// <summary>Parses six colon-separated hex bytes; a multicast address is refused.</summary>
    public static byte[] ParseMac(string text)
    {
        string[] octets = text.Split(':');
        var mac = new byte[6];
        if (octets.Length != 6 || !octets.Select((o, i) => o.Length is 1 or 2 &&
                byte.TryParse(o, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out mac[i])).All(ok => ok))
        {
            throw new UsageException($"--net: '{text}' is not a MAC address (six hex bytes, e.g. 52:54:00:12:34:56)");
        }

        if ((mac[0] & 1) != 0)
        {
            throw new UsageException($"--net: {text} is a multicast address; a card needs a unicast one (even first byte)");
        }

        return mac;
    }

    /// <summary>The card this option describes, as the <paramref name="index"/>-th <c>--net</c> (its id is <c>ethN</c>).</summary>
    public Configuration.NetworkInterfaceConfig ToInterface(int index) => new()
    {
        IfaceId = $"eth{index}",
        HostDevName = TapName,
        GuestMac = Configuration.MacAddress.Format(Mac),
    };
}
