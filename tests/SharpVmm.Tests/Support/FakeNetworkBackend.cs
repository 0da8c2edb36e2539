using SharpVmm.Devices.Virtio.Net;

namespace SharpVmm.Tests.Support;

/// <summary>An in-memory network back-end: tests queue inbound frames and read what the device wrote.</summary>
internal sealed class FakeNetworkBackend : INetworkBackend
{
    private readonly object _lock = new();
    private readonly Queue<byte[]> _inbound = new();
    private readonly List<byte[]> _written = [];
    private bool _woken;

    public TapOffloads Offloads { get; private set; } = (TapOffloads)0xFF;

    public bool AcceptWrites { get; set; } = true;

    public IOException? WriteFailure { get; set; }

    public bool Disposed { get; private set; }

    public int PendingInbound
    {
        get
        {
            lock (_lock)
            {
                return _inbound.Count;
            }
        }
    }

    public IReadOnlyList<byte[]> Written
    {
        get
        {
            lock (_lock)
            {
                return [.. _written];
            }
        }
    }

    public void Enqueue(byte[] frame)
    {
        lock (_lock)
        {
            _inbound.Enqueue(frame);
            Monitor.PulseAll(_lock);
        }
    }

    public void SetOffloads(TapOffloads offloads) => Offloads = offloads;

    public int Read(Span<byte> buffer)
    {
        lock (_lock)
        {
            if (!_inbound.TryDequeue(out byte[]? frame))
            {
                return 0;
            }

            frame.CopyTo(buffer);
            return frame.Length;
        }
    }

    public bool Write(ReadOnlySpan<byte> frame)
    {
        if (WriteFailure is not null)
        {
            throw WriteFailure;
        }

        lock (_lock)
        {
            if (AcceptWrites)
            {
                _written.Add(frame.ToArray());
            }

            return AcceptWrites;
        }
    }

    public bool WaitReadable(int timeoutMs)
    {
        lock (_lock)
        {
            while (_inbound.Count == 0 && !_woken)
            {
                if (!Monitor.Wait(_lock, timeoutMs))
                {
                    return false;
                }
            }

            bool woken = _woken;
            _woken = false;
            return !woken;
        }
    }

    public void Wake()
    {
        lock (_lock)
        {
            _woken = true;
            Monitor.PulseAll(_lock);
        }
    }

    public void Dispose() => Disposed = true;
}
