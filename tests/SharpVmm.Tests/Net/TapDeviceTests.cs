using System.Buffers.Binary;
using SharpVmm.Devices.Virtio.Net;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Net;

/// <summary>TAP tests in a private network namespace (needs root); they talk only to 10.77.0.1 inside it.</summary>
[Tier(TestTiers.Unit)]
public class TapDeviceTests
{
    private const string TapName = "svtap0";
    private static readonly byte[] GuestMac = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];
    private static readonly byte[] HostIp = [10, 77, 0, 1];
    private static readonly byte[] GuestIp = [10, 77, 0, 2];

    [Fact]
    public void The_host_kernel_answers_an_arp_request_and_a_ping_written_into_the_tap()
    {
        using var ns = NetworkNamespace.Create();
        using TapDevice tap = ns.RunInside(() => TapDevice.Open(TapName));
        ns.RunCommandLine($"ip addr add 10.77.0.1/24 dev {TapName}");
        ns.RunCommandLine($"ip link set {TapName} up");
        Assert.Equal(TapName, tap.Name);
        tap.SetOffloads(TapOffloads.None);

        Assert.True(tap.Write(WithHeader(ArpRequest())));
        byte[] arpReply = ReadUntil(tap, f => EtherType(f) == 0x0806 && BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(20)) == 2);
        Assert.Equal(GuestMac, arpReply.AsSpan(0, 6).ToArray());          // sent to us
        Assert.Equal(HostIp, arpReply.AsSpan(28, 4).ToArray());           // "10.77.0.1 is at ..."
        byte[] hostMac = arpReply.AsSpan(22, 6).ToArray();

        Assert.True(tap.Write(WithHeader(EchoRequest(hostMac, id: 0x5356, sequence: 1))));
        byte[] echoReply = ReadUntil(tap, f => EtherType(f) == 0x0800 && f[23] == 1 && f[34] == 0);
        Assert.Equal(HostIp, echoReply.AsSpan(26, 4).ToArray());
        Assert.Equal(GuestIp, echoReply.AsSpan(30, 4).ToArray());
        Assert.Equal(0x5356, BinaryPrimitives.ReadUInt16BigEndian(echoReply.AsSpan(38)));
        Assert.Equal("sharpvmm"u8.ToArray(), echoReply.AsSpan(42, 8).ToArray());
    }

    [Fact]
    public void A_tap_already_open_is_busy_and_offloads_can_be_set()
    {
        using var ns = NetworkNamespace.Create();
        using TapDevice tap = ns.RunInside(() => TapDevice.Open(TapName));
        tap.SetOffloads(TapOffloads.Csum | TapOffloads.Tso4 | TapOffloads.Tso6);

        var busy = Assert.Throws<AggregateException>(() => ns.RunInside(() => TapDevice.Open(TapName)));
        var error = Assert.IsType<TapException>(busy.InnerException);
        Assert.Equal(16, error.Errno); // EBUSY
        Assert.Contains("busy", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, tap.Read(new byte[2048])); // link down, nothing queued: a non-blocking read returns 0
    }

    [Fact]
    public void A_persistent_tap_made_with_ip_tuntap_opens_with_a_vnet_header_and_a_tun_is_refused()
    {
        using var ns = NetworkNamespace.Create();
        ns.RunCommandLine("ip tuntap add dev svpers0 mode tap");
        ns.RunCommandLine("ip tuntap add dev svtun0 mode tun");

        using (TapDevice tap = ns.RunInside(() => TapDevice.Open("svpers0")))
        {
            Assert.Equal("svpers0", tap.Name);
            Assert.Contains("vnet_hdr", ns.RunCommandLine("ip -d link show svpers0"), StringComparison.Ordinal);
        }

        var refused = Assert.Throws<AggregateException>(() => ns.RunInside(() => TapDevice.Open("svtun0")));
        Assert.Equal(22, Assert.IsType<TapException>(refused.InnerException).Errno); // EINVAL
    }

    [Fact]
    public void Wake_releases_a_reader_waiting_on_an_idle_tap()
    {
        using var ns = NetworkNamespace.Create();
        using TapDevice tap = ns.RunInside(() => TapDevice.Open(TapName));
        Assert.False(tap.WaitReadable(10));

        bool? result = null;
        int readerId = 0;
        using var started = new ManualResetEventSlim();
        var reader = new Thread(() =>
        {
            readerId = PollingThread.CurrentId();
            started.Set();
            result = tap.WaitReadable(-1);
        });
        reader.Start();
        started.Wait(TestContext.Current.CancellationToken);
        PollingThread.WaitUntilAsleepInPoll(readerId);
        tap.Wake();

        Assert.True(reader.Join(TimeSpan.FromSeconds(10)), "Wake did not release the reader");
        Assert.False(result);
    }

    [Fact]
    public void Bad_names_are_rejected_before_any_system_call()
    {
        Assert.Throws<ArgumentException>(() => TapDevice.Open("a-name-that-is-far-too-long"));
        Assert.Throws<ArgumentException>(() => TapDevice.Open("bad/name"));
    }

    private static byte[] ReadUntil(TapDevice tap, Func<byte[], bool> wanted)
    {
        var buffer = new byte[65600];
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var seen = new List<string>();
        while (DateTime.UtcNow < deadline)
        {
            if (!tap.WaitReadable(200))
            {
                continue;
            }

            int length = tap.Read(buffer);
            if (length < VirtioNetHeader.Size + 14)
            {
                continue;
            }

            byte[] frame = buffer.AsSpan(VirtioNetHeader.Size, length - VirtioNetHeader.Size).ToArray();
            if (wanted(frame))
            {
                return frame;
            }

            seen.Add($"ethertype 0x{EtherType(frame):X4}, {frame.Length} bytes");
        }

        Assert.Fail($"no matching frame from the host within 10 s; saw: {string.Join("; ", seen)}");
        return [];
    }

    private static int EtherType(byte[] frame) => BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12));

    private static byte[] WithHeader(byte[] frame) => [.. new byte[VirtioNetHeader.Size], .. frame];

    private static byte[] ArpRequest()
    {
        var frame = new byte[42];
        frame.AsSpan(0, 6).Fill(0xFF);
        GuestMac.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0806);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14), 1);      // htype Ethernet
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), 0x0800); // ptype IPv4
        frame[18] = 6;
        frame[19] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(20), 1);      // request
        GuestMac.CopyTo(frame, 22);
        GuestIp.CopyTo(frame, 28);
        HostIp.CopyTo(frame, 38);
        return frame;
    }

    private static byte[] EchoRequest(byte[] hostMac, ushort id, ushort sequence)
    {
        byte[] payload = "sharpvmm"u8.ToArray();
        var frame = new byte[14 + 20 + 8 + payload.Length];
        hostMac.CopyTo(frame, 0);
        GuestMac.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        Span<byte> ip = frame.AsSpan(14, 20);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + 8 + payload.Length));
        ip[8] = 64;  // TTL
        ip[9] = 1;   // ICMP
        GuestIp.CopyTo(ip[12..]);
        HostIp.CopyTo(ip[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum(ip));
        Span<byte> icmp = frame.AsSpan(34);
        icmp[0] = 8; // echo request
        BinaryPrimitives.WriteUInt16BigEndian(icmp[4..], id);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], sequence);
        payload.CopyTo(icmp[8..]);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Checksum(icmp));
        return frame;
    }

    // RFC 1071 one's-complement sum.
    private static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (int i = 0; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if ((data.Length & 1) != 0)
        {
            sum += (uint)data[^1] << 8;
        }

        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
