using System.Net.Sockets;

namespace SharpVmm.Devices.Virtio.Vsock;

// The tx queue: packets from the guest, checked and acted on.
public sealed partial class VirtioVsockDevice
{
    private bool _txProgress;

    // Drains the tx queue while the answers fit in the backlog; true when a packet was handled.
    private bool ProcessTx(DeviceQueue tx)
    {
        _txProgress = false;
        tx.Drain(HandleGuestPacket, () => !_worker.ShouldYield && _control.Count < MaxControlBacklog);
        return _txProgress;
    }

    private uint HandleGuestPacket(DescriptorChain chain)
    {
        _txProgress = true;
        Interlocked.Increment(ref _txPackets);
        if (chain.ReadableLength < VsockHeader.Size)
        {
            Interlocked.Increment(ref _malformed); // no header: nobody to answer
            return 0;
        }

        DescriptorChainReader reader = chain.CreateReader();
        Span<byte> raw = stackalloc byte[VsockHeader.Size];
        reader.Read(raw);
        VsockHeader header = VsockHeader.Decode(raw);
        if (header.SourceCid != _guestCid || header.DestinationCid != HostCid)
        {
            Interlocked.Increment(ref _malformed); // not a packet for this host from this guest: dropped, as Firecracker does
            return 0;
        }

        _connections.TryGetValue((header.DestinationPort, header.SourcePort), out VsockConnection? c);
        if (header.Length > reader.Remaining || header.Length > MaxPacketPayload || header.Type != VsockHeader.TypeStream
            || header.Operation is < VsockOp.Request or > VsockOp.CreditRequest)
        {
            Interlocked.Increment(ref _malformed);
            RefusePacket(header, c);
            return 0;
        }

        if (c is not null)
        {
            c.PeerBufferAllocation = header.BufferAllocation;
            c.PeerForwardCount = header.ForwardCount;
        }

        switch (header.Operation)
        {
            case VsockOp.Request:
                GuestConnect(header, c);
                break;
            case VsockOp.Reset:
                if (c is not null)
                {
                    RemoveConnection(c); // the guest ended it: no answer
                }

                break;
            case VsockOp.Response when c?.State == VsockConnectionState.RequestSent:
                c.State = VsockConnectionState.Established;
                c.Deadline = 0;
                Interlocked.Increment(ref _connectionsOpened);
                c.QueueControlText(VsockConnectLine.Ok(c.LocalPort));
                FlushToHost(c);
                break;
            case VsockOp.Shutdown when c is not null && c.State is VsockConnectionState.Established or VsockConnectionState.Closing:
                c.PeerShutdown |= (VsockShutdownFlags)header.Flags & VsockShutdownFlags.Both;
                AfterForward(c);
                break;
            case VsockOp.ReadWrite when c?.State == VsockConnectionState.Established:
                GuestData(c, reader, header.Length);
                break;
            case VsockOp.CreditUpdate when c is not null:
                break; // the credit is taken above; reading the host resumes at the next poll
            case VsockOp.CreditRequest when c is not null && !c.CreditUpdateQueued:
                c.CreditUpdateQueued = true;
                _control.Enqueue(new VsockControlPacket(c.LocalPort, c.PeerPort, VsockOp.CreditUpdate));
                break;
            case VsockOp.CreditRequest when c is not null:
                break; // one is on its way
            default:
                RefusePacket(header, c); // for no connection, or out of place in the connection's state
                break;
        }

        return 0;
    }

    // Answers a packet the device will not act on with RST (never an RST to an RST), ending its connection if it had one.
    private void RefusePacket(VsockHeader header, VsockConnection? c)
    {
        if (c is not null)
        {
            ResetConnection(c);
        }
        else if (header.Operation != VsockOp.Reset)
        {
            _control.Enqueue(new VsockControlPacket(header.DestinationPort, header.SourcePort, VsockOp.Reset));
        }
    }

    private void GuestData(VsockConnection c, DescriptorChainReader reader, uint length)
    {
        if (length > c.OurFreeSpace || (c.PeerShutdown & VsockShutdownFlags.Send) != 0)
        {
            Interlocked.Increment(ref _malformed); // beyond the credit we advertised, or after it said it would send no more
            ResetConnection(c);
            return;
        }

        uint before = c.ReceivedCount - c.ForwardedCount;
        bool ok = c.TakeFromGuest(reader, length);
        AddBuffered((long)(c.ReceivedCount - c.ForwardedCount) - before);
        if (!ok)
        {
            ResetConnection(c); // the host process is gone
            return;
        }

        Interlocked.Add(ref _txBytes, length);
        AfterForward(c);
    }

    // A guest connection to host port P goes to the Unix socket uds_path_P; RST when nothing accepts it there.
    private void GuestConnect(VsockHeader header, VsockConnection? existing)
    {
        if (existing is not null)
        {
            ResetConnection(existing); // a second REQUEST on an open connection: the guest lost track of it
            return;
        }

        if (OpenCount >= MaxConnections)
        {
            _control.Enqueue(new VsockControlPacket(header.DestinationPort, header.SourcePort, VsockOp.Reset));
            return;
        }

        Socket? socket = TryConnectHost($"{_udsPath}_{header.DestinationPort}");
        if (socket is null)
        {
            _control.Enqueue(new VsockControlPacket(header.DestinationPort, header.SourcePort, VsockOp.Reset));
            return;
        }

        var c = new VsockConnection(socket, VsockConnectionState.Established, hostInitiated: false)
        {
            LocalPort = header.DestinationPort,
            PeerPort = header.SourcePort,
            PeerBufferAllocation = header.BufferAllocation,
            PeerForwardCount = header.ForwardCount,
        };
        _connections[(c.LocalPort, c.PeerPort)] = c;
        Interlocked.Increment(ref _activeConnections);
        Interlocked.Increment(ref _connectionsOpened);
        _control.Enqueue(new VsockControlPacket(c.LocalPort, c.PeerPort, VsockOp.Response));
    }

    private static Socket? TryConnectHost(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { Blocking = false };
        try
        {
            // A Unix stream connect completes at once or fails (EAGAIN: the listener's backlog is full); it never waits.
            socket.Connect(new UnixDomainSocketEndPoint(path));
            return socket;
        }
        catch (Exception ex) when (ex is SocketException or ArgumentException)
        {
            socket.Dispose(); // nothing listens there, or the path is too long for sun_path
            return null;
        }
    }
}
