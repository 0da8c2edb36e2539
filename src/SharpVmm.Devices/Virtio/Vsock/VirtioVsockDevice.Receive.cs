using System.Buffers.Binary;
using System.Net.Sockets;

namespace SharpVmm.Devices.Virtio.Vsock;

// The rx queue (packets for the guest) and the event queue.
public sealed partial class VirtioVsockDevice
{
    private const uint TransportResetEventId = 0; // VIRTIO_VSOCK_EVENT_TRANSPORT_RESET (5.10.6.7)

    private bool _rxMayHaveBuffers;

    // Delivers waiting control packets, then host data, while the guest has rx buffers; true when something was delivered.
    private bool DeliverToGuest(DeviceQueue rx)
    {
        bool progress = false;
        while (!_worker.ShouldYield)
        {
            if (_control.Count > 0)
            {
                if (!TryPopRx(rx, out DescriptorChain? chain))
                {
                    break;
                }

                VsockControlPacket packet = _control.Dequeue();
                _connections.TryGetValue((packet.LocalPort, packet.PeerPort), out VsockConnection? owner);
                DeliverPacket(rx, chain, packet.LocalPort, packet.PeerPort, packet.Op, packet.Flags, owner, []);
                progress = true;
                continue;
            }

            if (!_readyToRead.TryDequeue(out VsockConnection? c))
            {
                break;
            }

            if (c.Closed || !CanReadHost(c))
            {
                c.HostReadable = false; // polled again once it can take data
                continue;
            }

            if (DeliverHostData(rx, c) is not { } delivered)
            {
                _readyToRead.Enqueue(c); // no rx buffer: keep its turn for when the guest posts one
                break;
            }

            progress |= delivered;
        }

        return progress;
    }

    // Reads what the host process wrote into one rx buffer; null when the guest has none.
    private bool? DeliverHostData(DeviceQueue rx, VsockConnection c)
    {
        int available = HostAvailable(c);
        if (available == 0)
        {
            HostEnded(c); // readable with nothing to read: the host process closed its end
            return false;
        }

        if (!TryPopRx(rx, out DescriptorChain? chain))
        {
            return null;
        }

        int room = (int)Math.Min(chain.WritableLength - VsockHeader.Size, MaxPacketPayload);
        int want = (int)Math.Min(Math.Min((uint)available, c.PeerFreeSpace), (uint)room);
        int read = c.Socket.Receive(_scratch.AsSpan(0, want), SocketFlags.None, out SocketError error);
        if (error != SocketError.Success || read <= 0)
        {
            // Only this thread reads the socket, so bytes it reported are still there: the socket failed. The popped
            // buffer carries the RST.
            DeliverPacket(rx, chain, c.LocalPort, c.PeerPort, VsockOp.Reset, 0, c, []);
            RemoveConnection(c);
            return true;
        }

        DeliverPacket(rx, chain, c.LocalPort, c.PeerPort, VsockOp.ReadWrite, 0, c, _scratch.AsSpan(0, read));
        c.SentCount += (uint)read;
        Interlocked.Add(ref _rxBytes, read);
        if (available > read && CanReadHost(c))
        {
            _readyToRead.Enqueue(c); // more to read: after the other connections' turns
        }
        else
        {
            c.HostReadable = false;
        }

        return true;
    }

    // Pops an rx buffer with room for a header; false when the ring is empty (notifications are on then).
    private bool TryPopRx(DeviceQueue rx, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DescriptorChain? chain)
    {
        chain = null;
        VirtQueue queue = rx.Queue;
        while (_rxMayHaveBuffers)
        {
            queue.DisableNotifications();
            if (queue.TryPop(out DescriptorChain popped))
            {
                if (popped.WritableLength > VsockHeader.Size)
                {
                    chain = popped;
                    return true;
                }

                Interlocked.Increment(ref _malformed); // no room for a packet: handed back empty
                queue.AddUsed(popped, 0);
                rx.NotifyIfNeeded();
                continue;
            }

            if (queue.IsBroken || !queue.EnableNotifications())
            {
                _rxMayHaveBuffers = false; // until the guest's next notification
            }
        }

        return false;
    }

    private void DeliverPacket(DeviceQueue rx, DescriptorChain chain, uint localPort, uint peerPort, VsockOp op, uint flags,
        VsockConnection? owner, ReadOnlySpan<byte> payload)
    {
        var header = new VsockHeader
        {
            SourceCid = HostCid,
            DestinationCid = _guestCid,
            SourcePort = localPort,
            DestinationPort = peerPort,
            Length = (uint)payload.Length,
            Type = VsockHeader.TypeStream,
            Op = (ushort)op,
            Flags = flags,
            BufferAllocation = owner is null || owner.Closed ? 0 : BufferAllocation,
            ForwardCount = owner is null || owner.Closed ? 0 : owner.ForwardedCount,
        };
        if (owner is { Closed: false })
        {
            owner.LastForwardedCountSent = owner.ForwardedCount;
            if (op == VsockOp.CreditUpdate)
            {
                owner.CreditUpdateQueued = false;
            }
        }

        Span<byte> raw = stackalloc byte[VsockHeader.Size];
        header.Encode(raw);
        DescriptorChainWriter writer = chain.CreateWriter();
        writer.Write(raw);
        writer.Write(payload);
        rx.Queue.AddUsed(chain, writer.BytesWritten);
        rx.NotifyIfNeeded();
        Interlocked.Increment(ref _rxPackets);
        if (op == VsockOp.Reset)
        {
            Interlocked.Increment(ref _resetsSent);
        }
    }

    // After a restore: VIRTIO_VSOCK_EVENT_TRANSPORT_RESET in the first event buffer the guest posts.
    private bool ProcessEvents()
    {
        if (!_transportResetPending || _events is not { } events)
        {
            return false;
        }

        VirtQueue queue = events.Queue;
        while (true)
        {
            queue.DisableNotifications();
            if (queue.TryPop(out DescriptorChain chain))
            {
                if (chain.WritableLength < sizeof(uint))
                {
                    Interlocked.Increment(ref _malformed);
                    queue.AddUsed(chain, 0);
                    events.NotifyIfNeeded();
                    continue;
                }

                Span<byte> id = stackalloc byte[sizeof(uint)];
                BinaryPrimitives.WriteUInt32LittleEndian(id, TransportResetEventId);
                DescriptorChainWriter writer = chain.CreateWriter();
                writer.Write(id);
                queue.AddUsed(chain, writer.BytesWritten);
                events.NotifyIfNeeded();
                _transportResetPending = false;
                Interlocked.Increment(ref _transportResets);
                queue.EnableNotifications();
                return true;
            }

            if (queue.IsBroken || !queue.EnableNotifications())
            {
                events.ReportIfBroken();
                return false;
            }
        }
    }
}
