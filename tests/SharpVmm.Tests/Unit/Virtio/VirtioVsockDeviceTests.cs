using System.Net.Sockets;
using SharpVmm.Devices.Virtio;
using SharpVmm.Devices.Virtio.Vsock;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Virtio;

[Tier(TestTiers.Unit)]
public sealed class VirtioVsockDeviceTests : IDisposable
{
    private readonly VsockDriver _guest = new();

    public void Dispose() => _guest.Dispose();

    [Fact]
    public void The_device_is_id_19_with_three_queues_version_1_only_and_the_guest_cid_in_its_config()
    {
        VirtioVsockDevice device = _guest.Device;
        var config = new byte[10];
        device.ReadConfig(0, config);
        device.WriteConfig(0, [9, 9, 9, 9]);
        var again = new byte[8];
        device.ReadConfig(0, again);

        Assert.Equal(19u, (uint)device.DeviceType);
        Assert.Equal(VirtioFeatures.Version1, device.DeviceFeatures);
        Assert.Equal(3, device.QueueMaxSizes.Count);
        Assert.Equal(8, device.ConfigSize);
        Assert.Equal([3, 0, 0, 0, 0, 0, 0, 0, 0, 0], config);
        Assert.Equal([3, 0, 0, 0, 0, 0, 0, 0], again);
        Assert.True(File.Exists(_guest.UdsPath));
    }

    [Fact]
    public void An_existing_uds_path_is_refused_as_Firecracker_does()
    {
        IOException ex = Assert.Throws<IOException>(() => new VirtioVsockDevice(3, _guest.UdsPath));
        Assert.Contains("already exists", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_host_connect_becomes_a_guest_request_and_the_response_an_OK_line_then_bytes_flow_both_ways()
    {
        _guest.Activate();
        _guest.PostRx(16);
        using Socket host = _guest.HostConnect(52);

        VsockPacket request = _guest.Expect(p => p.Op == VsockOp.Request, "REQUEST");
        Assert.Equal((VirtioVsockDevice.HostCid, VsockDriver.GuestCid, 52u), (request.Header.SourceCid, request.Header.DestinationCid, request.Header.DestinationPort));
        Assert.True(request.Header.SourcePort >= 1u << 30, "host ports for host connections start at 2^30");
        Assert.Equal(VirtioVsockDevice.BufferAllocation, request.Header.BufferAllocation);
        uint hostPort = request.Header.SourcePort;
        _guest.Send(_guest.Header(VsockOp.Response, 52, hostPort));
        Assert.Equal($"OK {hostPort}", VsockDriver.ReadLine(host));

        host.Send("ping from host"u8);
        VsockPacket data = _guest.Expect(p => p.Op == VsockOp.ReadWrite, "RW");
        Assert.Equal("ping from host"u8.ToArray(), data.Payload);
        Assert.Equal((hostPort, 52u, 14u), (data.Header.SourcePort, data.Header.DestinationPort, data.Header.Length));

        _guest.Send(_guest.Header(VsockOp.ReadWrite, 52, hostPort, length: 15), "pong from guest"u8);
        Assert.Equal("pong from guest"u8.ToArray(), VsockDriver.ReadExactly(host, 15));
        Assert.Equal((1L, 14L, 15L), (_guest.Device.ConnectionsOpened, _guest.Device.RxBytes, _guest.Device.TxBytes));
        Assert.Null(_guest.Device.Failure);
    }

    [Fact]
    public void A_guest_RST_to_the_request_closes_the_host_connection()
    {
        _guest.Activate();
        _guest.PostRx(4);
        using Socket host = _guest.HostConnect(7000);
        VsockPacket request = _guest.Expect(p => p.Op == VsockOp.Request, "REQUEST");

        _guest.Send(_guest.Header(VsockOp.Reset, 7000, request.Header.SourcePort));

        Assert.Equal(0, host.Receive(new byte[16])); // closed without an OK
        Assert.True(FakeVirtioInterrupt.WaitFor(() => _guest.Device.ActiveConnections == 0));
    }

    [Fact]
    public void The_device_never_sends_more_than_the_guest_credit_and_continues_after_a_credit_update()
    {
        (Socket connected, uint hostPort) = _guest.ActivateAndConnect(80, rxBuffers: 64, bufAlloc: 1000);
        using Socket host = connected;

        host.Send(new byte[5000]);
        Assert.True(FakeVirtioInterrupt.WaitFor(() => _guest.Device.RxBytes == 1000));
        Thread.Sleep(100);
        Assert.Equal(1000L, _guest.Device.RxBytes); // the guest's 1000 bytes of credit are used up: nothing more
        int sum = _guest.Received.Where(p => p.Op == VsockOp.ReadWrite).Sum(p => p.Payload.Length);
        Assert.Equal(1000, sum);

        _guest.Send(_guest.Header(VsockOp.CreditUpdate, 80, hostPort, bufAlloc: 1000, fwdCnt: 1000));
        Assert.True(FakeVirtioInterrupt.WaitFor(() => _guest.Device.RxBytes == 2000));
        _guest.Send(_guest.Header(VsockOp.CreditUpdate, 80, hostPort, bufAlloc: 8000, fwdCnt: 2000));
        Assert.True(FakeVirtioInterrupt.WaitFor(() => _guest.Device.RxBytes == 5000));
    }

    [Fact]
    public void The_device_sends_a_credit_update_when_the_guest_view_of_its_space_runs_low_and_on_request()
    {
        (Socket connected, uint hostPort) = _guest.ActivateAndConnect(81, rxBuffers: 16);
        using Socket host = connected;

        var chunk = new byte[4096];
        for (uint i = 0; i < 10; i++)
        {
            _guest.Send(_guest.Header(VsockOp.ReadWrite, 81, hostPort, length: 4096), chunk);
        }

        VsockDriver.ReadExactly(host, 40960);
        VsockPacket update = _guest.Expect(p => p.Op == VsockOp.CreditUpdate, "CREDIT_UPDATE");
        Assert.True(update.Header.ForwardCount >= VirtioVsockDevice.BufferAllocation / 2, $"fwd_cnt {update.Header.ForwardCount}");
        Assert.Equal(VirtioVsockDevice.BufferAllocation, update.Header.BufferAllocation);

        _guest.Send(_guest.Header(VsockOp.CreditRequest, 81, hostPort));
        VsockPacket answer = _guest.Expect(p => p.Op == VsockOp.CreditUpdate, "CREDIT_UPDATE answering CREDIT_REQUEST");
        Assert.Equal(40960u, answer.Header.ForwardCount);
    }

    [Fact]
    public void A_guest_connection_reaches_the_listener_at_uds_path_underscore_port()
    {
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(_guest.UdsPath + "_1234"));
        listener.Listen(4);
        _guest.Activate();
        _guest.PostRx(8);

        _guest.Send(_guest.Header(VsockOp.Request, 40000, 1234));
        VsockPacket response = _guest.Expect(p => p.Op == VsockOp.Response, "RESPONSE");
        Assert.Equal((1234u, 40000u), (response.Header.SourcePort, response.Header.DestinationPort));
        using Socket accepted = listener.Accept();
        accepted.ReceiveTimeout = 5000;

        _guest.Send(_guest.Header(VsockOp.ReadWrite, 40000, 1234, length: 5), "hello"u8);
        Assert.Equal("hello"u8.ToArray(), VsockDriver.ReadExactly(accepted, 5));
        accepted.Send("world"u8);
        Assert.Equal("world"u8.ToArray(), _guest.Expect(p => p.Op == VsockOp.ReadWrite, "RW").Payload);
    }

    [Fact]
    public void A_guest_connection_to_a_port_nobody_listens_on_gets_RST()
    {
        _guest.Activate();
        _guest.PostRx(4);

        _guest.Send(_guest.Header(VsockOp.Request, 40001, 999));

        VsockPacket rst = _guest.Expect(p => p.Op == VsockOp.Reset, "RST");
        Assert.Equal((999u, 40001u), (rst.Header.SourcePort, rst.Header.DestinationPort));
        Assert.Equal(0, _guest.Device.ActiveConnections);
        Assert.Equal(1L, _guest.Device.ResetsSent);
    }

    [Fact]
    public void A_guest_shutdown_of_both_directions_closes_the_host_socket_and_ends_with_RST()
    {
        (Socket connected, uint hostPort) = _guest.ActivateAndConnect(90, rxBuffers: 8);
        using Socket host = connected;
        _guest.Send(_guest.Header(VsockOp.ReadWrite, 90, hostPort, length: 3), "bye"u8);

        _guest.Send(_guest.Header(VsockOp.Shutdown, 90, hostPort, flags: (uint)VsockShutdownFlags.Both));

        Assert.Equal("bye"u8.ToArray(), VsockDriver.ReadExactly(host, 3));
        Assert.Equal(0, host.Receive(new byte[4])); // then the end
        _guest.Expect(p => p.Op == VsockOp.Reset && p.Header.SourcePort == hostPort, "RST ending the connection");
        Assert.Equal(0, _guest.Device.ActiveConnections);
    }

    [Fact]
    public void A_host_close_sends_the_guest_shutdown_and_the_guest_RST_ends_the_connection()
    {
        _guest.Activate();
        _guest.PostRx(8);
        Socket host = _guest.HostConnect(91);
        uint hostPort = _guest.Establish(host, 91);

        host.Dispose();

        VsockPacket shutdown = _guest.Expect(p => p.Op == VsockOp.Shutdown, "SHUTDOWN");
        Assert.Equal((uint)VsockShutdownFlags.Both, shutdown.Header.Flags);
        _guest.Send(_guest.Header(VsockOp.Reset, 91, hostPort));
        Assert.True(FakeVirtioInterrupt.WaitFor(() => _guest.Device.ActiveConnections == 0));
    }

    [Fact]
    public void A_host_half_close_sends_the_guest_shutdown_send_only_and_the_guest_reply_still_reaches_the_host()
    {
        _guest.Activate();
        _guest.PostRx(8);
        using Socket host = _guest.HostConnect(92);
        uint hostPort = _guest.Establish(host, 92);

        host.Send("request"u8);
        host.Shutdown(SocketShutdown.Send); // a request, then EOF: the host still waits for the reply

        Assert.Equal("request"u8.ToArray(), _guest.Expect(p => p.Op == VsockOp.ReadWrite, "RW").Payload);
        VsockPacket shutdown = _guest.Expect(p => p.Op == VsockOp.Shutdown, "SHUTDOWN");
        Assert.Equal((uint)VsockShutdownFlags.Send, shutdown.Header.Flags);
        _guest.Send(_guest.Header(VsockOp.ReadWrite, 92, hostPort, length: 5), "reply"u8);
        Assert.Equal("reply"u8.ToArray(), VsockDriver.ReadExactly(host, 5));
        _guest.Send(_guest.Header(VsockOp.Shutdown, 92, hostPort, flags: (uint)VsockShutdownFlags.Both));
        Assert.Equal(0, host.Receive(new byte[1])); // the guest's end of the stream
    }

    [Fact]
    public void A_hundred_host_connections_at_once_each_carry_their_own_bytes()
    {
        _guest.Activate();
        _guest.PostRx(250);
        var hosts = new List<(Socket Socket, uint GuestPort, uint HostPort)>();
        try
        {
            for (uint i = 0; i < 100; i++)
            {
                hosts.Add((_guest.HostConnect(5000 + i), 5000 + i, 0));
            }

            for (int i = 0; i < hosts.Count; i++)
            {
                hosts[i] = hosts[i] with { HostPort = _guest.Establish(hosts[i].Socket, hosts[i].GuestPort) };
                if (i % 50 == 49)
                {
                    _guest.PostRx(100);
                }
            }

            foreach ((Socket socket, uint guestPort, _) in hosts)
            {
                socket.Send(System.Text.Encoding.ASCII.GetBytes($"from host to {guestPort}"));
            }

            _guest.PostRx(120);
            foreach ((_, uint guestPort, uint hostPort) in hosts)
            {
                VsockPacket data = _guest.Expect(p => p.Op == VsockOp.ReadWrite && p.Header.DestinationPort == guestPort, $"RW for {guestPort}");
                Assert.Equal($"from host to {guestPort}", System.Text.Encoding.ASCII.GetString(data.Payload));
                Assert.Equal(hostPort, data.Header.SourcePort);
                byte[] reply = System.Text.Encoding.ASCII.GetBytes($"from guest {guestPort}");
                _guest.Send(_guest.Header(VsockOp.ReadWrite, guestPort, hostPort, length: (uint)reply.Length), reply);
            }

            foreach ((Socket socket, uint guestPort, _) in hosts)
            {
                byte[] expected = System.Text.Encoding.ASCII.GetBytes($"from guest {guestPort}");
                Assert.Equal(expected, VsockDriver.ReadExactly(socket, expected.Length));
            }

            Assert.Equal(100, _guest.Device.ActiveConnections);
            Assert.Equal(100L, _guest.Device.ConnectionsOpened);
        }
        finally
        {
            foreach ((Socket socket, _, _) in hosts)
            {
                socket.Dispose();
            }
        }
    }

    [Fact]
    public void After_a_restore_the_device_sends_a_transport_reset_event_and_keeps_no_connection()
    {
        _guest.Activate();
        _guest.PostRx(8);
        using Socket host = _guest.HostConnect(60);
        _guest.Establish(host, 60);
        _guest.Device.Pause();
        IReadOnlyList<VirtQueueState?> queues = _guest.Device.SaveQueueStates();
        Assert.Equal(3, queues.Count);
        Assert.Empty(_guest.ReadEvents()); // a plain activation sends no event

        _guest.ReplaceDevice(); // the restored VM's fresh device: old connections are gone
        Assert.Equal(0, host.Receive(new byte[4]));
        _guest.Activate(queues);
        _guest.PostEvent();

        Assert.True(FakeVirtioInterrupt.WaitFor(() => _guest.Device.TransportResets == 1));
        Assert.Equal([0u], _guest.ReadEvents()); // VIRTIO_VSOCK_EVENT_TRANSPORT_RESET
        Assert.Equal(0, _guest.Device.ActiveConnections);

        using Socket again = _guest.HostConnect(61); // and the restored device takes new connections
        _guest.PostRx(4);
        _guest.Establish(again, 61);
    }
}
