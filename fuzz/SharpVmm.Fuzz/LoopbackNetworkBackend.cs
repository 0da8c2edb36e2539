using SharpVmm.Devices.Virtio.Net;

namespace SharpVmm.Fuzz;

/// <summary>
/// A network back-end that hands every frame the device transmits back to it as a received frame, so that one fuzz
/// input drives both queues: what the guest sends on the transmit queue arrives on its receive queue. It holds four
/// frames at most and drops the rest (<see cref="Write"/> returns false, as a full TAP queue does); a frame longer than
/// the reader's buffer is cut short, as a TAP read is.
/// </summary>
public sealed class LoopbackNetworkBackend : INetworkBackend
{
    /// <summary>Frames held for the device's receive side at most.</summary>
    public const int Capacity = 4;

    private readonly object _lock = new();
    private readonly Queue<byte[]> _frames = new();
    private bool _woken;

    /// <inheritdoc />
    public void SetOffloads(TapOffloads offloads)
    {
    }

    /// <inheritdoc />
    public int Read(Span<byte> buffer)
    {
        lock (_lock)
        {
            if (!_frames.TryDequeue(out byte[]? frame))
            {
                return 0;
            }

            int length = Math.Min(frame.Length, buffer.Length);
            frame.AsSpan(0, length).CopyTo(buffer);
            return length;
        }
    }

    /// <inheritdoc />
    public bool Write(ReadOnlySpan<byte> frame)
    {
        lock (_lock)
        {
            if (_frames.Count >= Capacity)
            {
                return false;
            }

            _frames.Enqueue(frame.ToArray());
            Monitor.PulseAll(_lock);
            return true;
        }
    }

    /// <inheritdoc />
    public bool WaitReadable(int timeoutMs)
    {
        lock (_lock)
        {
            long deadline = timeoutMs < 0 ? long.MaxValue : Environment.TickCount64 + timeoutMs;
            while (!_woken && _frames.Count == 0)
            {
                long left = deadline - Environment.TickCount64;
                if (left <= 0)
                {
                    return false;
                }

                Monitor.Wait(_lock, timeoutMs < 0 ? Timeout.Infinite : (int)left);
            }

            if (_woken)
            {
                _woken = false;
                return false;
            }

            return true;
        }
    }

    /// <inheritdoc />
    public void Wake()
    {
        lock (_lock)
        {
            _woken = true;
            Monitor.PulseAll(_lock);
        }
    }

    /// <inheritdoc />
    public void Dispose() => Wake();
}
