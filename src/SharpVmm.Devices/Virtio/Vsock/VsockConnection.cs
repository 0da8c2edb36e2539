using System.Net.Sockets;

namespace SharpVmm.Devices.Virtio.Vsock;

/// <summary>
/// One stream connection between a guest port and a host Unix socket, as the device thread keeps it: the host socket
/// (non-blocking), the state, the guest's credit (what it told us of its receive buffer) and ours (the guest-to-host
/// bytes still waiting for the host socket, never more than <see cref="VirtioVsockDevice.BufferAllocation"/>).
/// Touched by the device thread only.
/// </summary>
internal sealed class VsockConnection : IDisposable
{
    private readonly byte[] _line = new byte[VsockConnectLine.MaxLength];
    private byte[]? _pending; // guest-to-host bytes (and the OK line) the host socket has not taken yet
    private int _pendingStart, _pendingLength, _uncounted; // _uncounted: leading pending bytes that are not guest data

    public VsockConnection(Socket socket, VsockConnectionState state, bool hostInitiated)
    {
        Socket = socket;
        State = state;
        HostInitiated = hostInitiated;
        Fd = (int)socket.SafeHandle.DangerousGetHandle();
    }

    public Socket Socket { get; }

    /// <summary>The socket's descriptor, for poll(2); valid while the connection is open.</summary>
    public int Fd { get; }

    public VsockConnectionState State { get; set; }

    /// <summary>True when a host process connected to the listening socket (it waits for <c>OK</c>).</summary>
    public bool HostInitiated { get; }

    /// <summary>The host-side vsock port (the guest's peer port).</summary>
    public uint LocalPort { get; set; }

    /// <summary>The guest-side vsock port.</summary>
    public uint PeerPort { get; set; }

    public bool Closed { get; private set; }

    /// <summary>Guest payload bytes received (our rx_cnt).</summary>
    public uint ReceivedCount { get; private set; }

    /// <summary>Guest payload bytes written to the host socket (our fwd_cnt).</summary>
    public uint ForwardedCount { get; private set; }

    /// <summary>The fwd_cnt the guest last saw from us.</summary>
    public uint LastForwardedCountSent { get; set; }

    /// <summary>Payload bytes sent to the guest (our tx_cnt).</summary>
    public uint SentCount { get; set; }

    public uint PeerBufferAllocation { get; set; }

    public uint PeerForwardCount { get; set; }

    public VsockShutdownFlags PeerShutdown { get; set; }

    /// <summary>The host socket reported data or its end, not yet read.</summary>
    public bool HostReadable { get; set; }

    /// <summary>The host socket hung up (poll reported POLLHUP).</summary>
    public bool HostHungUp { get; set; }

    /// <summary>The host process shut down its sending side (read gave EOF): the guest was sent SHUTDOWN(SEND).</summary>
    public bool HostReadShut { get; set; }

    /// <summary>A CREDIT_UPDATE for this connection is queued and not yet delivered.</summary>
    public bool CreditUpdateQueued { get; set; }

    /// <summary>The host socket's write side was shut down after the guest's SHUTDOWN(SEND).</summary>
    public bool HostWriteShut { get; set; }

    /// <summary><see cref="Environment.TickCount64"/> after which the connection is given up; 0 for none.</summary>
    public long Deadline { get; set; }

    /// <summary>Bytes waiting for the host socket.</summary>
    public int PendingBytes => _pendingLength;

    /// <summary>How much more the guest may send (buf_alloc minus what it sent that we have not forwarded).</summary>
    public uint OurFreeSpace => VirtioVsockDevice.BufferAllocation - (ReceivedCount - ForwardedCount);

    /// <summary>How much more the guest believes it may send: by the fwd_cnt it last saw.</summary>
    public uint GuestSeenFreeSpace
    {
        get
        {
            uint used = ReceivedCount - LastForwardedCountSent;
            return used >= VirtioVsockDevice.BufferAllocation ? 0 : VirtioVsockDevice.BufferAllocation - used;
        }
    }

    /// <summary>The guest's free receive space for this connection (5.10.6.3): buf_alloc - (tx_cnt - fwd_cnt), at least 0.</summary>
    public uint PeerFreeSpace
    {
        get
        {
            uint inFlight = SentCount - PeerForwardCount;
            return inFlight >= PeerBufferAllocation ? 0 : PeerBufferAllocation - inFlight;
        }
    }

    /// <summary>Bytes of the CONNECT line read so far.</summary>
    public int LineLength { get; private set; }

    /// <summary>The CONNECT line read so far.</summary>
    public ReadOnlySpan<byte> Line => _line.AsSpan(0, LineLength);

    /// <summary>
    /// Reads the CONNECT line a byte at a time (so nothing after its newline is taken). True once the line is complete;
    /// false while more may come. <paramref name="failed"/>: the host closed, failed or sent more than a line may hold.
    /// </summary>
    public bool ReadLine(out bool failed)
    {
        failed = false;
        while (LineLength < _line.Length)
        {
            int read = Socket.Receive(_line.AsSpan(LineLength, 1), SocketFlags.None, out SocketError error);
            if (error == SocketError.WouldBlock)
            {
                return false;
            }

            if (error != SocketError.Success || read == 0)
            {
                failed = true;
                return false;
            }

            LineLength++;
            if (_line[LineLength - 1] == (byte)'\n')
            {
                return true;
            }
        }

        failed = true; // over-long
        return false;
    }

    /// <summary>Queues bytes for the host that are not guest data (the <c>OK</c> line) in front of everything else.</summary>
    public void QueueControlText(ReadOnlySpan<byte> text)
    {
        Append(text);
        _uncounted += text.Length;
    }

    /// <summary>
    /// Takes <paramref name="length"/> payload bytes of a guest RW packet from <paramref name="reader"/>: straight to the
    /// host socket while it takes them, the rest kept. The caller checked the guest's credit. False when the host socket failed.
    /// </summary>
    public bool TakeFromGuest(DescriptorChainReader reader, uint length)
    {
        ReceivedCount += length;
        long left = length;
        bool ok = true;
        while (left > 0)
        {
            ReadOnlySpan<byte> piece = reader.NextSpan((int)Math.Min(left, int.MaxValue));
            if (piece.IsEmpty)
            {
                break;
            }

            int sent = 0;
            if (_pendingLength == 0 && ok)
            {
                sent = Socket.Send(piece, SocketFlags.None, out SocketError error);
                if (error == SocketError.WouldBlock)
                {
                    sent = 0;
                }
                else if (error != SocketError.Success)
                {
                    ok = false;
                    sent = 0;
                }

                ForwardedCount += (uint)sent;
            }

            if (ok)
            {
                Append(piece[sent..]);
            }

            reader.Advance(piece.Length);
            left -= piece.Length;
        }

        return ok;
    }

    /// <summary>Writes waiting bytes to the host socket. Returns the guest-data bytes written, or -1 when the socket failed.</summary>
    public int Flush()
    {
        int counted = 0;
        while (_pendingLength > 0)
        {
            int sent = Socket.Send(_pending.AsSpan(_pendingStart, _pendingLength), SocketFlags.None, out SocketError error);
            if (error == SocketError.WouldBlock)
            {
                break;
            }

            if (error != SocketError.Success)
            {
                return -1;
            }

            int control = Math.Min(sent, _uncounted);
            _uncounted -= control;
            counted += sent - control;
            _pendingStart += sent;
            _pendingLength -= sent;
        }

        if (_pendingLength == 0)
        {
            _pendingStart = 0;
            _pending = null; // an idle connection holds no buffer
        }

        ForwardedCount += (uint)counted;
        return counted;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!Closed)
        {
            Closed = true;
            _pending = null;
            _pendingLength = 0;
            Socket.Dispose();
        }
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        int needed = _pendingLength + data.Length;
        if (_pending is null || _pendingStart + needed > _pending.Length)
        {
            // Bounded: guest data is capped by our credit, the OK line is a few bytes.
            var grown = new byte[Math.Max(needed, Math.Min(2 * needed, VirtioVsockDevice.BufferAllocation + VsockConnectLine.MaxLength))];
            _pending?.AsSpan(_pendingStart, _pendingLength).CopyTo(grown);
            _pending = grown;
            _pendingStart = 0;
        }

        data.CopyTo(_pending.AsSpan(_pendingStart + _pendingLength));
        _pendingLength += data.Length;
    }
}
