namespace SharpVmm.Devices.Virtio.Vsock;

/// <summary>
/// The one line of Firecracker's hybrid vsock protocol that a host process writes after connecting to the device's Unix
/// socket: <c>CONNECT &lt;port&gt;\n</c>, with the guest port in decimal. The device answers <c>OK &lt;host port&gt;\n</c>
/// once the guest accepted, or closes the connection.
/// </summary>
public static class VsockConnectLine
{
    /// <summary>The longest line accepted, newline included (<c>CONNECT 4294967295\r\n</c> is 20 bytes).</summary>
    public const int MaxLength = 32;

    private static ReadOnlySpan<byte> Prefix => "CONNECT "u8;

    /// <summary>
    /// Parses a whole line, its final <c>\n</c> included (a <c>\r</c> before it is allowed); false for anything else:
    /// another verb, no port, a sign, spaces, a port beyond 32 bits, or trailing text.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> line, out uint port)
    {
        port = 0;
        if (line.Length > MaxLength || !line.StartsWith(Prefix) || line.IsEmpty || line[^1] != (byte)'\n')
        {
            return false;
        }

        ReadOnlySpan<byte> digits = line[Prefix.Length..^1];
        if (!digits.IsEmpty && digits[^1] == (byte)'\r')
        {
            digits = digits[..^1];
        }

        if (digits.IsEmpty || digits.Length > 10)
        {
            return false;
        }

        ulong value = 0;
        foreach (byte b in digits)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            value = (value * 10) + (ulong)(b - '0');
        }

        if (value > uint.MaxValue)
        {
            return false;
        }

        port = (uint)value;
        return true;
    }

    /// <summary>The device's answer once the guest accepted: <c>OK &lt;hostPort&gt;\n</c>, in ASCII.</summary>
    public static byte[] Ok(uint hostPort) => System.Text.Encoding.ASCII.GetBytes($"OK {hostPort}\n");
}
