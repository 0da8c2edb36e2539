using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SharpVmm.Gdb;

/// <summary>
/// Where the gdb stub listens: <c>tcp:HOST:PORT</c> (QEMU's <c>-gdb tcp::1234</c> form; an empty host is 127.0.0.1, so
/// a guest's debugger is not offered to the network unless asked for) or <c>unix:PATH</c> (Firecracker's
/// <c>gdb_socket_path</c>).
/// </summary>
public sealed record GdbEndpoint
{
    private GdbEndpoint(EndPoint endPoint, string? socketPath)
    {
        EndPoint = endPoint;
        SocketPath = socketPath;
    }

    /// <summary>The address to bind.</summary>
    public EndPoint EndPoint { get; }

    /// <summary>The Unix socket's path; null for TCP.</summary>
    public string? SocketPath { get; }

    /// <summary>A Unix socket at <paramref name="path"/>.</summary>
    public static GdbEndpoint Unix(string path) => new(new UnixDomainSocketEndPoint(path), path);

    /// <summary>Parses <c>tcp:HOST:PORT</c> or <c>unix:PATH</c>.</summary>
    /// <exception cref="FormatException">The text is neither, with the reason.</exception>
    public static GdbEndpoint Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.StartsWith("unix:", StringComparison.Ordinal))
        {
            string path = text["unix:".Length..];
            return path.Length == 0 ? throw new FormatException("unix: needs a socket path (unix:PATH)") : Unix(path);
        }

        if (!text.StartsWith("tcp:", StringComparison.Ordinal))
        {
            throw new FormatException($"'{text}' is not tcp:HOST:PORT or unix:PATH");
        }

        string rest = text["tcp:".Length..];
        int colon = rest.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(rest.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
        {
            throw new FormatException($"'{text}' needs a port from 0 to 65535 (tcp:HOST:PORT)");
        }

        string host = rest[..colon].Trim('[', ']');
        if (host.Length == 0)
        {
            return new GdbEndpoint(new IPEndPoint(IPAddress.Loopback, port), null);
        }

        return IPAddress.TryParse(host, out IPAddress? address)
            ? new GdbEndpoint(new IPEndPoint(address, port), null)
            : host == "localhost"
                ? new GdbEndpoint(new IPEndPoint(IPAddress.Loopback, port), null)
                : throw new FormatException($"'{host}' is not an IP address (tcp:HOST:PORT takes 127.0.0.1, 0.0.0.0, [::1] or localhost)");
    }

    /// <inheritdoc />
    public override string ToString() => SocketPath is { } path ? $"unix:{path}" : $"tcp:{EndPoint}";
}
