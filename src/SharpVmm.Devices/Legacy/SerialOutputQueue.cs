using SharpVmm.Sys;
namespace SharpVmm.Devices.Legacy;

/// <summary>
/// The host side of a serial transmitter: a bounded buffer that a vCPU thread fills without ever blocking, and a writer
/// thread that drains it to a stream (a terminal, a pipe, a file) as soon as bytes arrive. A stalled reader of the
/// stream stalls only the writer thread; bytes that do not fit are dropped and counted (<see cref="BytesLost"/>). The
/// first error of the stream ends output: the rest is dropped and counted too.
/// </summary>
/// <remarks>
/// A guest transmits one byte per exit, so waking the writer for each one would cost a futex wake-up, often a
/// cross-CPU interrupt, per byte on the vCPU's exit path (measured under nested KVM: 41 µs per byte, more than the
/// exit itself). The vCPU wakes the writer only when the writer sleeps, and not at all while <see cref="HoldWakeUps"/>
/// is set (another thread releases the wake-up then); the writer then waits
/// <see cref="GatherDelay"/> for the rest of the burst (a kernel's log line, a screenful) and writes it in one go.
/// </remarks>
internal sealed class SerialOutputQueue : IDisposable
{
    /// <summary>How many bytes wait for the writer at most (the guest's output while the reader is away).</summary>
    public const int Capacity = 64 * 1024;

    /// <summary>How long <see cref="Dispose"/> waits for queued bytes to reach the stream.</summary>
    public static readonly TimeSpan DisposeDrainTimeout = TimeSpan.FromSeconds(2);

    private readonly Stream _output;
    private readonly Action<Exception> _failed;
    private readonly object _gate = new();
    private readonly byte[] _ring = new byte[Capacity];
    private readonly byte[] _chunk = new byte[4096];
    private readonly Thread _writer;
    /// <summary>How long bytes queued while <see cref="HoldWakeUps"/> is set wait at most for <see cref="ReleaseWakeUp"/>
    /// before the writer takes them anyway.</summary>
    public static readonly TimeSpan HeldWakeUpLimit = TimeSpan.FromMilliseconds(100);

    /// <summary>How long the writer, once woken, lets bytes gather before it writes them (an echo is this much later).</summary>
    public static readonly TimeSpan GatherDelay = TimeSpan.FromMilliseconds(1);

    private int _head, _count;
    private bool _writing, _closing, _writerAsleep, _holdWakeUps, _wakeHeld;
    private Exception? _error;
    private long _transmitted, _lost;

    /// <summary>Starts the writer thread for <paramref name="output"/>; <paramref name="failed"/> is called once, on
    /// that thread, with the error that ended output.</summary>
    public SerialOutputQueue(Stream output, Action<Exception> failed)
    {
        _output = output;
        _failed = failed;
        _writer = new Thread(WriteLoop) { Name = "serial output", IsBackground = true };
        _writer.Start();
    }

    /// <summary>Bytes written to the stream.</summary>
    public long BytesTransmitted => Interlocked.Read(ref _transmitted);

    /// <summary>Bytes dropped: the buffer was full, or the stream had failed.</summary>
    public long BytesLost => Interlocked.Read(ref _lost);

    /// <summary>The error that ended output, or null.</summary>
    public Exception? Error => Volatile.Read(ref _error);

    /// <summary>Queues <paramref name="value"/> for the writer; never blocks. Counts it lost when it does not fit.</summary>
    public void Enqueue(byte value)
    {
        lock (_gate)
        {
            if (_count == Capacity || _error is not null || _closing)
            {
                _lost++; // under _gate; read with Interlocked
                return;
            }

            _ring[(_head + _count) % Capacity] = value;
            _count++;
            WakeWriter(); // one wake-up per burst, not per byte
        }
    }

    /// <summary>
    /// While true, queuing bytes does not wake a sleeping writer: <see cref="ReleaseWakeUp"/> does, and so does
    /// <see cref="Drain"/>. For a caller that queues from a vCPU thread and has a periodic thread of its own to wake the
    /// writer from, so that no exit pays for a wake-up.
    /// </summary>
    public bool HoldWakeUps
    {
        get
        {
            lock (_gate)
            {
                return _holdWakeUps;
            }
        }

        set
        {
            lock (_gate)
            {
                if (value && !_holdWakeUps && _writerAsleep)
                {
                    Monitor.PulseAll(_gate); // a sleeping writer waits again, with HeldWakeUpLimit as its timeout
                }

                _holdWakeUps = value;
                if (!value)
                {
                    WakeWriterIfHeld();
                }
            }
        }
    }

    /// <summary>Wakes the writer for bytes queued while <see cref="HoldWakeUps"/> was set.</summary>
    public void ReleaseWakeUp()
    {
        lock (_gate)
        {
            WakeWriterIfHeld();
        }
    }

    /// <summary>Queues <paramref name="values"/> for the writer with one wake-up at most; never blocks. Counts what does
    /// not fit as lost.</summary>
    public void Enqueue(ReadOnlySpan<byte> values)
    {
        lock (_gate)
        {
            int fits = _error is not null || _closing ? 0 : Math.Min(values.Length, Capacity - _count);
            _lost += values.Length - fits; // under _gate; read with Interlocked
            if (fits == 0)
            {
                return;
            }

            int tail = (_head + _count) % Capacity;
            int first = Math.Min(fits, Capacity - tail);
            values[..first].CopyTo(_ring.AsSpan(tail));
            values[first..fits].CopyTo(_ring);
            _count += fits;
            WakeWriter();
        }
    }

    /// <summary>Waits until every queued byte reached the stream (or was counted lost), at most <paramref name="timeout"/>;
    /// false when the time ran out (the stream's reader stalls).</summary>
    public bool Drain(TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (_gate)
        {
            while (_count > 0 || _writing)
            {
                WakeWriterIfHeld();
                long left = deadline - Environment.TickCount64;
                if (left <= 0 || !_writer.IsAlive)
                {
                    return false;
                }

                Monitor.Wait(_gate, (int)Math.Min(left, int.MaxValue));
            }

            return true;
        }
    }

    /// <summary>Drains what is queued within <see cref="DisposeDrainTimeout"/>, then ends the writer thread (a writer
    /// stuck in the stream is left behind: it is a background thread and writes nothing more once the stream returns).</summary>
    public void Dispose()
    {
        Drain(DisposeDrainTimeout);
        lock (_gate)
        {
            _closing = true;
            _lost += _count;
            _count = 0;
            Monitor.PulseAll(_gate);
        }

        _writer.Join(TimeSpan.FromMilliseconds(100));
    }

    // Under _gate, after bytes were queued.
    private void WakeWriter()
    {
        if (_holdWakeUps)
        {
            _wakeHeld |= _writerAsleep; // a writer that is awake takes the bytes on its next pass anyway
        }
        else if (_writerAsleep)
        {
            _writerAsleep = false;
            Monitor.PulseAll(_gate); // all: a Drain may be waiting on the same monitor, and the writer must not miss this
        }
    }

    // Under _gate.
    private void WakeWriterIfHeld()
    {
        if (_wakeHeld)
        {
            _wakeHeld = false;
            if (_writerAsleep && _count > 0)
            {
                _writerAsleep = false;
                Monitor.PulseAll(_gate);
            }
        }
    }

    private void WriteLoop()
    {
        try
        {
            SeccompPolicy.ApplyToCurrentThread(SeccompThreadKind.Device);
        }
        catch (SystemCallException ex)
        {
            // Unconfined output is not written: the error ends output as a failed stream would.
            lock (_gate)
            {
                Volatile.Write(ref _error, ex);
            }

            _failed(ex);
        }

        while (true)
        {
            int n;
            lock (_gate)
            {
                _writing = false;
                Monitor.PulseAll(_gate); // a Drain may be waiting
                if (_count == 0 && !_closing)
                {
                    while ((_count == 0 || _wakeHeld) && !_closing)
                    {
                        _writerAsleep = true;
                        if (!Monitor.Wait(_gate, _holdWakeUps ? HeldWakeUpLimit : Timeout.InfiniteTimeSpan) && _wakeHeld)
                        {
                            _wakeHeld = false; // nobody released the bytes in time (a stopped timer): the writer takes them itself
                        }
                    }

                    _writerAsleep = false;
                    if (!_closing && _count < _chunk.Length)
                    {
                        // Woken by the first byte of a burst: let the rest of it arrive before writing.
                        _writing = true; // a Drain waits for this pass too
                        Monitor.Exit(_gate);
                        try
                        {
                            Thread.Sleep(GatherDelay);
                        }
                        finally
                        {
                            Monitor.Enter(_gate);
                        }
                    }
                }

                if (_closing)
                {
                    return;
                }

                n = Math.Min(Math.Min(_count, _chunk.Length), Capacity - _head);
                Array.Copy(_ring, _head, _chunk, 0, n);
                _head = (_head + n) % Capacity;
                _count -= n;
                _writing = true;
            }

            if (!Write(n))
            {
                return;
            }
        }
    }

    // The chunk in one write, then one flush: a write per byte would cost the writer a system call per byte the guest
    // prints. A stream that fails part-way through a write does not say how much of it it took, so a failed write counts
    // its whole chunk lost.
    private bool Write(int n)
    {
        int written = 0;
        try
        {
            _output.Write(_chunk, 0, n);
            written = n;
            Interlocked.Add(ref _transmitted, n);
            _output.Flush();
            return true;
        }
#pragma warning disable CA1031 // any stream's failure (IOException, ObjectDisposedException, NotSupportedException) ends output the same way
        catch (Exception ex)
#pragma warning restore CA1031
        {
            lock (_gate)
            {
                Volatile.Write(ref _error, ex);
                _lost += (n - written) + _count;
                _count = 0;
            }

            _failed(ex); // before a Drain returns: whoever drained sees the report
            lock (_gate)
            {
                _writing = false;
                Monitor.PulseAll(_gate);
            }

            return false;
        }
    }
}
