using System.Net.Sockets;
using SharpVmm.Devices.Virtio.Vsock;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.HostileGuest;

/// <summary>A guest that sends virtio-vsock garbage or floods the device: counted, answered or dropped, never thrown, never unbounded.</summary>
[Tier(TestTiers.Unit)]
public sealed class VsockHostileGuestTests : IDisposable
{
    private readonly VsockDriver _guest = new(maxConnections: 8);

    public void Dispose() => _guest.Dispose();

    [Fact]
    public void A_packet_shorter_than_a_header_is_counted_and_dropped()
    {
        _guest.Activate();
        _guest.PostRx(4);

        _guest.SendRaw(new byte[20]);

        Assert.Equal(1L, _guest.Device.MalformedPackets);
        Thread.Sleep(50);
        Assert.Empty(_guest.Received);
        Assert.Null(_guest.Device.Failure);
    }

    [Fact]
    public void A_len_beyond_the_chain_is_malformed_and_its_connection_is_reset()
    {
        (Socket connected, uint hostPort) = _guest.ActivateAndConnect(70, rxBuffers: 8);
        using Socket host = connected;

        _guest.Send(_guest.Header(VsockOp.ReadWrite, 70, hostPort, length: 100_000), new byte[10]);

        _guest.Expect(p => p.Op == VsockOp.Reset && p.Header.SourcePort == hostPort, "RST");
        Assert.Equal(1L, _guest.Device.MalformedPackets);
        Assert.Equal(0, host.Receive(new byte[16]));
        Assert.Null(_guest.Device.Failure);
    }

    [Fact]
    public void An_unknown_op_or_type_gets_RST()
    {
        _guest.Activate();
        _guest.PostRx(8);

        _guest.Send(_guest.Header((VsockOp)99, 1, 2));
        _guest.Send(_guest.Header(VsockOp.Request, 1, 2) with { Type = 2 }); // SEQPACKET: not offered
        _guest.Send(_guest.Header(VsockOp.Invalid, 1, 2));

        Assert.True(FakeVirtioInterrupt.WaitFor(() => _guest.Received.Count(p => p.Op == VsockOp.Reset) == 3));
        Assert.Equal(3L, _guest.Device.MalformedPackets);
        Assert.Null(_guest.Device.Failure);
    }

    [Fact]
    public void A_packet_with_the_wrong_cid_is_dropped_and_one_for_no_connection_gets_RST()
    {
        _guest.Activate();
        _guest.PostRx(8);

        _guest.Send(_guest.Header(VsockOp.Request, 1, 2) with { SourceCid = 99 });
        _guest.Send(_guest.Header(VsockOp.Request, 1, 2) with { DestinationCid = 7 });
        _guest.Send(_guest.Header(VsockOp.ReadWrite, 5, 6, length: 1), "x"u8);
        _guest.Send(_guest.Header(VsockOp.Reset, 5, 6)); // an RST for nothing is not answered

        VsockPacket rst = _guest.Expect(p => p.Op == VsockOp.Reset, "RST");
        Assert.Equal((6u, 5u), (rst.Header.SourcePort, rst.Header.DestinationPort));
        Thread.Sleep(50);
        Assert.Empty(_guest.Received);
        Assert.Equal(2L, _guest.Device.MalformedPackets);
    }

    [Fact]
    public void Data_beyond_the_advertised_credit_resets_the_connection_and_the_buffer_never_exceeds_it()
    {
        (Socket connected, uint hostPort) = _guest.ActivateAndConnect(71, rxBuffers: 8); // never reads
        using Socket host = connected;

        var chunk = new byte[16 * 1024];
        int sent = 0;
        while (_guest.Device.ActiveConnections == 1 && sent < 64)
        {
            _guest.Send(_guest.Header(VsockOp.ReadWrite, 71, hostPort, length: (uint)chunk.Length), chunk);
            sent++;
        }

        Assert.Equal(0, _guest.Device.ActiveConnections);
        Assert.True(_guest.Device.PeakBufferedBytes <= VirtioVsockDevice.BufferAllocation, $"peak {_guest.Device.PeakBufferedBytes}");
        Assert.Equal(0L, _guest.Device.BufferedBytes);
        Assert.Equal(1L, _guest.Device.MalformedPackets);
        _guest.Expect(p => p.Op == VsockOp.Reset && p.Header.SourcePort == hostPort, "RST");
    }

    [Fact]
    public void A_flood_of_requests_beyond_the_connection_bound_gets_RST_for_the_excess()
    {
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(_guest.UdsPath + "_9"));
        listener.Listen(64);
        _guest.Activate();
        _guest.PostRx(64);

        for (uint port = 100; port < 130; port++)
        {
            _guest.Send(_guest.Header(VsockOp.Request, port, 9));
        }

        Assert.True(FakeVirtioInterrupt.WaitFor(() => _guest.Received.Count == 30));
        Assert.Equal(8, _guest.Received.Count(p => p.Op == VsockOp.Response));
        Assert.Equal(22, _guest.Received.Count(p => p.Op == VsockOp.Reset));
        Assert.Equal(8, _guest.Device.ActiveConnections);

        // Host processes beyond the bound wait in the listen backlog; nothing is accepted for them.
        using Socket extra = _guest.HostConnect(1);
        Thread.Sleep(100);
        Assert.Equal(8, _guest.Device.ActiveConnections);
        Assert.Null(_guest.Device.Failure);
    }

    [Fact]
    public void A_guest_that_never_posts_rx_buffers_makes_the_device_buffer_nothing_from_a_host_writer()
    {
        (Socket connected, uint hostPort) = _guest.ActivateAndConnect(72, rxBuffers: 2); // one for the REQUEST, one left for data; never more
        using Socket host = connected;
        host.Blocking = false;

        var chunk = new byte[64 * 1024];
        long written = 0;
        for (int i = 0; i < 200; i++)
        {
            int n = host.Send(chunk, 0, chunk.Length, SocketFlags.None, out SocketError error);
            if (error == SocketError.WouldBlock)
            {
                Thread.Sleep(5);
                continue;
            }

            written += n;
        }

        // The socket fills up and the host writer is told to wait; the VMM holds nothing of it.
        Assert.True(written < 20L * 1024 * 1024, $"{written} bytes went into the socket");
        Assert.Equal(0L, _guest.Device.BufferedBytes);
        Assert.True(_guest.Device.RxBytes <= 4096, $"{_guest.Device.RxBytes} bytes delivered with one buffer");
        Assert.Equal(1, _guest.Device.ActiveConnections);
        Assert.All(_guest.Received.Where(p => p.Op == VsockOp.ReadWrite), p => Assert.Equal(hostPort, p.Header.SourcePort));
        Assert.Null(_guest.Device.Failure);
    }

    [Fact]
    public void A_flood_of_credit_requests_with_no_rx_buffers_stops_the_tx_queue_at_the_backlog_bound()
    {
        (Socket connected, uint hostPort) = _guest.ActivateAndConnect(73, rxBuffers: 2);
        using Socket host = connected;

        for (int i = 0; i < 255; i++)
        {
            _guest.Tx.AddChain(ChainBuffer.In(Raw(_guest.Header(VsockOp.ReadWrite, 999, 998 + (uint)i))));
        }

        _guest.Device.Notify(VirtioVsockDevice.TxQueue);
        Assert.True(FakeVirtioInterrupt.WaitFor(() => _guest.Tx.UsedIdx >= VirtioVsockDevice.MaxControlBacklog));
        Thread.Sleep(50);
        Assert.True(_guest.Tx.UsedIdx <= VirtioVsockDevice.MaxControlBacklog + 2, $"{_guest.Tx.UsedIdx} packets taken with nowhere to answer");

        _guest.PostRx(255); // buffers arrive: the answers flow and the rest of the queue is taken
        Assert.True(FakeVirtioInterrupt.WaitFor(() => _guest.Tx.UsedIdx == 1 + 255));
        Assert.Equal(1, _guest.Device.ActiveConnections);
        Assert.NotEqual(0u, hostPort);
    }

    private static byte[] Raw(VsockHeader header)
    {
        var raw = new byte[VsockHeader.Size];
        header.Encode(raw);
        return raw;
    }
}
