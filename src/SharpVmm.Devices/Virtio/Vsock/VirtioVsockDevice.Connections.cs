namespace SharpVmm.Devices.Virtio.Vsock;

// The end of connections: deadlines, RST, removal, and the count of guest bytes held for host processes.
public sealed partial class VirtioVsockDevice
{
    private void ExpireDeadlines()
    {
        long now = Environment.TickCount64;
        foreach (VsockConnection c in _connections.Values)
        {
            if (c.Deadline != 0 && now >= c.Deadline)
            {
                _expired.Add(c);
            }
        }

        foreach (VsockConnection c in _expired)
        {
            ResetConnection(c);
        }

        _expired.Clear();
    }

    private int NextTimeout()
    {
        long earliest = long.MaxValue;
        foreach (VsockConnection c in _connections.Values)
        {
            if (c.Deadline != 0)
            {
                earliest = Math.Min(earliest, c.Deadline);
            }
        }

        return earliest == long.MaxValue ? -1 : (int)Math.Clamp(earliest - Environment.TickCount64 + 1, 1, int.MaxValue);
    }

    // Ends a connection with an RST to the guest.
    private void ResetConnection(VsockConnection c)
    {
        _control.Enqueue(new VsockControlPacket(c.LocalPort, c.PeerPort, VsockOp.Reset));
        RemoveConnection(c);
    }

    private void RemoveConnection(VsockConnection c)
    {
        if (c.Closed)
        {
            return;
        }

        if (_connections.TryGetValue((c.LocalPort, c.PeerPort), out VsockConnection? listed) && listed == c)
        {
            _connections.Remove((c.LocalPort, c.PeerPort));
        }

        if (c.HostInitiated)
        {
            _hostPorts.Remove(c.LocalPort);
        }

        AddBuffered(-(long)(c.ReceivedCount - c.ForwardedCount));
        c.Dispose();
        Interlocked.Decrement(ref _activeConnections);
    }

    private void CloseAllConnections()
    {
        foreach (VsockConnection c in _awaitingLine.ToArray())
        {
            CloseAwaiting(c);
        }

        foreach (VsockConnection c in _connections.Values.ToArray())
        {
            RemoveConnection(c);
        }

        _readyToRead.Clear();
        _control.Clear();
    }

    private void AddBuffered(long delta)
    {
        if (delta == 0)
        {
            return;
        }

        long now = Interlocked.Add(ref _bufferedBytes, delta);
        long peak = Interlocked.Read(ref _peakBufferedBytes);
        while (now > peak)
        {
            long seen = Interlocked.CompareExchange(ref _peakBufferedBytes, now, peak);
            if (seen == peak)
            {
                break;
            }

            peak = seen;
        }
    }
}
