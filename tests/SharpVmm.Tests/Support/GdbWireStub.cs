using System.Net;
using System.Net.Sockets;
using System.Text;
using SharpVmm.Gdb;

namespace SharpVmm.Tests.Support;

/// <summary>
/// Just enough of a gdb stub, on a loopback TCP port, for the real gdb to connect, read the target description and the
/// registers of one stopped vCPU, write registers and detach: a test of the protocol layer against gdb, not the VMM's
/// session (memory reads answer zeros, everything unknown is unsupported).
/// </summary>
public sealed class GdbWireStub : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly GdbRegisterLayout _layout;
    private readonly Task _serving;
    private X86RegisterFile _file;

    public GdbWireStub(GdbRegisterLayout layout, X86RegisterFile file)
    {
        _layout = layout;
        _file = file;
        _listener.Start();
        _serving = Task.Run(Serve);
    }

    /// <summary>The port gdb connects to (<c>target remote 127.0.0.1:PORT</c>).</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>The payloads of the packets gdb sent, in order.</summary>
    public List<string> Received { get; } = [];

    /// <summary>How many packets arrived with a bad checksum.</summary>
    public int BadPackets { get; private set; }

    /// <summary>The register file as gdb left it; waits (up to 10 s) for the session to end.</summary>
    public X86RegisterFile Finish()
    {
        if (!_serving.Wait(TimeSpan.FromSeconds(10)))
        {
            throw new TimeoutException("gdb did not end its session with the stub");
        }

        return _file;
    }

    public void Dispose() => _listener.Stop();

    private void Serve()
    {
        using Socket socket = _listener.AcceptSocket();
        var reader = new GdbPacketReader();
        var buffer = new byte[4096];
        byte[] last = [];
        while (true)
        {
            int n = socket.Receive(buffer);
            if (n == 0)
            {
                return;
            }

            reader.Feed(buffer.AsSpan(0, n));
            while (reader.TryRead(out GdbInput input))
            {
                switch (input.Kind)
                {
                    case GdbInputKind.BadChecksum:
                        BadPackets++;
                        socket.Send("-"u8);
                        break;
                    case GdbInputKind.Nack:
                        socket.Send(last);
                        break;
                    case GdbInputKind.Packet:
                        string payload = Encoding.Latin1.GetString(input.Payload);
                        Received.Add(payload);
                        last = GdbPacket.Frame(Reply(payload));
                        socket.Send([(byte)'+', .. last]);
                        if (payload is "D" or "k")
                        {
                            return;
                        }

                        break;
                    default:
                        break;
                }
            }
        }
    }

    private string Reply(string packet)
    {
        const string Xfer = "qXfer:features:read:target.xml:";
        if (packet.StartsWith("qSupported", StringComparison.Ordinal))
        {
            return $"PacketSize={GdbPacketReader.MaxPacketSize:x};qXfer:features:read+";
        }

        if (packet.StartsWith(Xfer, StringComparison.Ordinal))
        {
            string[] range = packet[Xfer.Length..].Split(',');
            return GdbPacket.TryParseHexNumber(range[0], out ulong offset) && GdbPacket.TryParseHexNumber(range[1], out ulong length)
                ? GdbPacket.XferReply(_layout.TargetXml, offset, length)
                : "E01";
        }

        return packet[0] switch
        {
            '?' => "S05",
            'g' => _layout.ReadAll(in _file),
            'G' => _layout.WriteAll(packet.AsSpan(1), ref _file) ? "OK" : "E01",
            'p' => int.TryParse(packet.AsSpan(1), System.Globalization.NumberStyles.HexNumber, null, out int r)
                ? _layout.ReadOne(r, in _file) ?? "E01" : "E01",
            'P' => WriteOne(packet[1..]),
            'm' => ZeroMemory(packet[1..]),
            'D' => "OK",
            _ => "",
        };
    }

    private string WriteOne(string assignment)
    {
        string[] parts = assignment.Split('=');
        return parts.Length == 2 && GdbPacket.TryParseHexNumber(parts[0], out ulong number) && number < int.MaxValue
            && _layout.WriteOne((int)number, parts[1], ref _file) ? "OK" : "E01";
    }

    private static string ZeroMemory(string range)
    {
        string[] parts = range.Split(',');
        return parts.Length == 2 && GdbPacket.TryParseHexNumber(parts[1], out ulong length) && length <= 0x1000
            ? new string('0', (int)length * 2)
            : "E01";
    }
}
