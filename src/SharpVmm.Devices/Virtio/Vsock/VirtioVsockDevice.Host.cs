using System.Net.Sockets;
using SharpVmm.Sys;

namespace SharpVmm.Devices.Virtio.Vsock;

// The device thread's loop and the host side: the listening socket, CONNECT lines, and poll(2) over every socket.
public sealed partial class VirtioVsockDevice
{
    private const short PollIn = 0x1, PollOut = 0x4, PollErr = 0x8, PollHup = 0x10;

    private readonly Dictionary<(uint Local, uint Peer), VsockConnection> _connections = [];
    private readonly List<VsockConnection> _awaitingLine = [];
    private readonly HashSet<uint> _hostPorts = [];
    private readonly Queue<VsockConnection> _readyToRead = new();
    private readonly Queue<VsockControlPacket> _control = new();
    private readonly List<VsockConnection> _expired = [];
    private readonly byte[] _scratch;
    private PollFd[] _pollFds = new PollFd[64];
    private VsockConnection?[] _pollOwners = new VsockConnection?[64];
    private uint _nextHostPort = 1u << 30;

    private int OpenCount => _connections.Count + _awaitingLine.Count;

    // The worker's service: runs until the worker must yield or a kick arrives (the worker then calls it again).
    private void Service()
    {
        if (_rx is not { } rx || _tx is not { } tx)
        {
            return;
        }

        _rxMayHaveBuffers = true; // a kick may mean new rx buffers
        while (!_worker.ShouldYield && !rx.Queue.IsBroken && !tx.Queue.IsBroken)
        {
            bool progress = ProcessTx(tx);
            progress |= ProcessEvents();
            progress |= DeliverToGuest(rx);
            ExpireDeadlines();
            if (!PollHost(progress ? 0 : NextTimeout()))
            {
                return;
            }
        }

        rx.ReportIfBroken();
        tx.ReportIfBroken();
        if (rx.Queue.IsBroken || tx.Queue.IsBroken)
        {
            CloseAllConnections(); // the guest must reset the device; nothing more flows until then
        }
    }

    // Waits for host sockets or a kick; false when the kick came (or the worker must yield): the service returns.
    private bool PollHost(int timeoutMs)
    {
        int count = 0;
        AddPoll(ref count, (int)_worker.NotificationHandle.DangerousGetHandle(), PollIn, null);
        if (OpenCount < MaxConnections)
        {
            AddPoll(ref count, _listenerFd, PollIn, null);
        }

        foreach (VsockConnection c in _awaitingLine)
        {
            AddPoll(ref count, c.Fd, PollIn, c);
        }

        foreach (VsockConnection c in _connections.Values)
        {
            short events = (short)((WantsHostRead(c) ? PollIn : 0) | (c.PendingBytes > 0 ? PollOut : 0));
            if (events != 0 || !c.HostHungUp)
            {
                AddPoll(ref count, c.Fd, events, c); // with no events poll still reports a hang-up or an error
            }
        }

        int ready = Libc.Poll(_pollFds.AsSpan(0, count), timeoutMs);
        if (ready <= 0)
        {
            return ready == 0 || !_worker.ShouldYield; // timeout, or EINTR: go round again
        }

        if (_pollFds[0].Revents != 0 || _worker.ShouldYield)
        {
            return false;
        }

        for (int i = 1; i < count; i++)
        {
            short revents = _pollFds[i].Revents;
            if (revents == 0)
            {
                continue;
            }

            if (_pollOwners[i] is not { } c)
            {
                AcceptHostConnections();
            }
            else if (!c.Closed)
            {
                HandleHostEvents(c, revents);
            }
        }

        return true;
    }

    private void AddPoll(ref int count, int fd, short events, VsockConnection? owner)
    {
        if (count == _pollFds.Length)
        {
            Array.Resize(ref _pollFds, count * 2);
            Array.Resize(ref _pollOwners, count * 2);
        }

        _pollFds[count] = new PollFd { Fd = fd, Events = events };
        _pollOwners[count] = owner;
        count++;
    }

    // Reading the host is allowed while the guest can take what is read: it has credit, rx buffers, and room in the backlog.
    private bool WantsHostRead(VsockConnection c) =>
        !c.HostReadable && CanReadHost(c) && _rxMayHaveBuffers && _control.Count < MaxControlBacklog;

    private static bool CanReadHost(VsockConnection c) =>
        c.State == VsockConnectionState.Established && !c.HostReadShut && (c.PeerShutdown & VsockShutdownFlags.Receive) == 0
        && c.PeerFreeSpace > 0;

    private void AcceptHostConnections()
    {
        while (OpenCount < MaxConnections)
        {
            Socket accepted;
            try
            {
                accepted = _listener.Accept();
            }
            catch (SocketException)
            {
                return; // nothing more to accept now (EAGAIN), or a connection that went away meanwhile
            }

            accepted.Blocking = false;
            _awaitingLine.Add(new VsockConnection(accepted, VsockConnectionState.AwaitingConnectLine, hostInitiated: true));
            Interlocked.Increment(ref _activeConnections);
        }
    }

    private void HandleHostEvents(VsockConnection c, short revents)
    {
        switch (c.State)
        {
            case VsockConnectionState.AwaitingConnectLine:
                ReadConnectLine(c);
                return;
            case VsockConnectionState.RequestSent:
                if ((revents & (PollHup | PollErr)) != 0)
                {
                    ResetConnection(c); // the host process gave up before the guest answered
                }

                return;
            default:
                break;
        }

        if ((revents & PollErr) != 0)
        {
            ResetConnection(c);
            return;
        }

        if ((revents & PollOut) != 0)
        {
            FlushToHost(c);
            if (c.Closed)
            {
                return;
            }
        }

        if ((revents & PollIn) != 0 && !c.HostReadable)
        {
            c.HostReadable = true;
            _readyToRead.Enqueue(c);
        }

        if ((revents & PollHup) != 0)
        {
            c.HostHungUp = true;
            if (!c.HostReadable && HostAvailable(c) == 0)
            {
                HostEnded(c);
            }
        }
    }

    private void ReadConnectLine(VsockConnection c)
    {
        if (!c.ReadLine(out bool failed))
        {
            if (failed)
            {
                CloseAwaiting(c);
            }

            return;
        }

        if (!VsockConnectLine.TryParse(c.Line, out uint guestPort))
        {
            CloseAwaiting(c);
            return;
        }

        _awaitingLine.Remove(c);
        while (!_hostPorts.Add(_nextHostPort))
        {
            _nextHostPort = NextHostPort(_nextHostPort);
        }

        c.LocalPort = _nextHostPort;
        _nextHostPort = NextHostPort(_nextHostPort);
        c.PeerPort = guestPort;
        c.State = VsockConnectionState.RequestSent;
        c.Deadline = Environment.TickCount64 + (long)AnswerTimeout.TotalMilliseconds;
        _connections[(c.LocalPort, c.PeerPort)] = c;
        _control.Enqueue(new VsockControlPacket(c.LocalPort, c.PeerPort, VsockOp.Request));
    }

    // Host-side ports for host-initiated connections count up from 2^30, wrapping back there (Firecracker's range).
    private static uint NextHostPort(uint port) => port == uint.MaxValue - 1 ? 1u << 30 : port + 1;

    private void CloseAwaiting(VsockConnection c)
    {
        _awaitingLine.Remove(c);
        c.Dispose();
        Interlocked.Decrement(ref _activeConnections);
    }

    private static int HostAvailable(VsockConnection c)
    {
        try
        {
            return c.Socket.Available;
        }
        catch (SocketException)
        {
            return 0;
        }
    }

    // The host process's stream ended. A half-close (shutdown(SHUT_WR): EOF, no hang-up) tells the guest that the host
    // sends no more, SHUTDOWN(SEND), and guest data still flows to the host (a request and its reply on one
    // connection). A hang-up (close, or a failed socket) tells it both directions are done.
    private void HostEnded(VsockConnection c)
    {
        c.HostReadable = false;
        if (c.State != VsockConnectionState.Established)
        {
            return;
        }

        if (!c.HostHungUp)
        {
            if (!c.HostReadShut)
            {
                c.HostReadShut = true;
                _control.Enqueue(new VsockControlPacket(c.LocalPort, c.PeerPort, VsockOp.Shutdown, (uint)VsockShutdownFlags.Send));
            }

            return;
        }

        c.State = VsockConnectionState.Closing;
        c.Deadline = Environment.TickCount64 + (long)AnswerTimeout.TotalMilliseconds;
        _control.Enqueue(new VsockControlPacket(c.LocalPort, c.PeerPort, VsockOp.Shutdown, (uint)VsockShutdownFlags.Both));
    }

    private void FlushToHost(VsockConnection c)
    {
        uint before = c.ReceivedCount - c.ForwardedCount;
        int written = c.Flush();
        AddBuffered((long)(c.ReceivedCount - c.ForwardedCount) - before);
        if (written < 0)
        {
            ResetConnection(c);
            return;
        }

        AfterForward(c);
    }

    // After guest bytes reached the host: a credit update when the guest's view of our space runs low, a half-close
    // the guest asked for, or the end of a connection both sides closed.
    private void AfterForward(VsockConnection c)
    {
        if (c.PendingBytes == 0 && (c.PeerShutdown & VsockShutdownFlags.Send) != 0 && !c.HostWriteShut)
        {
            c.HostWriteShut = true;
            try
            {
                c.Socket.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
                // the host process is gone already: its hang-up ends the connection
            }
        }

        if (c.PendingBytes == 0 && c.PeerShutdown == VsockShutdownFlags.Both)
        {
            ResetConnection(c); // both directions done and flushed: RST ends it (5.10.6.5)
            return;
        }

        if (!c.CreditUpdateQueued && c.State == VsockConnectionState.Established
            && c.GuestSeenFreeSpace < BufferAllocation / 2 && c.ForwardedCount != c.LastForwardedCountSent)
        {
            c.CreditUpdateQueued = true;
            _control.Enqueue(new VsockControlPacket(c.LocalPort, c.PeerPort, VsockOp.CreditUpdate));
        }
    }
}
