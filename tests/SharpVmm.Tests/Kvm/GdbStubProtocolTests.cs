using System.Net.Sockets;
using System.Text;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Kvm;

/// <summary>
/// The gdb stub as a hostile or careless client sees it, over a raw TCP socket to <c>sharpvmm run --gdb ... --gdb-wait</c>
/// (demo 1): bad checksums are answered with <c>-</c>, garbage is ignored, an oversized memory read is cut to the
/// packet size, a second client is refused while one is attached, and <c>k</c> ends the VM.
/// </summary>
[Tier(TestTiers.KvmFast)]
public class GdbStubProtocolTests
{
    [Fact]
    public void Bad_packets_get_nacks_garbage_is_ignored_a_second_client_is_refused_and_k_ends_the_vm()
    {
        KvmTestEnvironment.RequireKvm();
        (System.Diagnostics.Process vmm, int port, StringBuilder stderr) = GdbBatch.StartVmm(["run"]);
        using System.Diagnostics.Process process = vmm;
        using var client = new TcpClient("127.0.0.1", port);
        NetworkStream stream = client.GetStream();
        stream.ReadTimeout = 10_000;

        Send(stream, Frame("qSupported:swbreak+"));
        Assert.Equal('+', (char)stream.ReadByte());
        Assert.StartsWith("PacketSize=4000;", ReadPacket(stream), StringComparison.Ordinal);

        Send(stream, "$g#00"); // the checksum of "g" is 0x67
        Assert.Equal('-', (char)stream.ReadByte());

        Send(stream, "garbage }}## with no packet start \x01\xff");
        Send(stream, Frame("?"));
        Assert.Equal('+', (char)stream.ReadByte());
        Assert.Equal("T05thread:1;", ReadPacket(stream)); // stopped at attach, on vCPU 0

        Send(stream, Frame("m1000,c"));
        Assert.Equal('+', (char)stream.ReadByte());
        Assert.Equal(DemoAddCode(), ReadPacket(stream)); // the demo's code, where it was loaded

        Send(stream, Frame("m0,ffffffff"));
        Assert.Equal('+', (char)stream.ReadByte());
        string big = ReadPacket(stream);
        Assert.InRange(big.Length, 1, 0x4000); // within the PacketSize it announced

        using (var second = new TcpClient("127.0.0.1", port))
        {
            NetworkStream other = second.GetStream();
            other.ReadTimeout = 10_000;
            Assert.Equal(0, other.Read(new byte[16])); // closed at once: one client at a time
        }

        Send(stream, Frame("k"));
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), $"sharpvmm did not end after k\n{stderr}");
        string rest = process.StandardError.ReadToEnd();
        Assert.Contains("stop requested", stderr + rest, StringComparison.Ordinal);
    }

    private static string DemoAddCode()
    {
        byte[] image = File.ReadAllBytes(Path.Combine(RepoPaths.Root, "guests", "bin", "demo-add.bin"));
        return Convert.ToHexStringLower(image.AsSpan(0, Math.Min(12, image.Length)));
    }

    private static string Frame(string payload) =>
        $"${payload}#{Encoding.ASCII.GetBytes(payload).Aggregate(0, (sum, b) => (sum + b) & 0xFF):x2}";

    private static void Send(NetworkStream stream, string text) => stream.Write(Encoding.Latin1.GetBytes(text));

    // Reads one "$...#xx" packet and returns its payload (the stub escapes nothing in these replies).
    private static string ReadPacket(NetworkStream stream)
    {
        var payload = new StringBuilder();
        int b;
        while ((b = stream.ReadByte()) != '$')
        {
            Assert.NotEqual(-1, b);
        }

        while ((b = stream.ReadByte()) != '#')
        {
            Assert.NotEqual(-1, b);
            payload.Append((char)b);
        }

        stream.ReadByte();
        stream.ReadByte();
        return payload.ToString();
    }
}
