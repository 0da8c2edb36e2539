namespace SharpVmm.Devices.Virtio;

/// <summary>
/// A device's own thread (ARCHITECTURE.md, Threads): it sleeps until kicked, then runs the device's service routine.
/// <see cref="Kick"/> never blocks, so a vCPU thread can call it from <see cref="IVirtioDevice.Notify"/>.
/// </summary>
internal sealed class VirtioWorker : IDisposable
{
    private readonly string _threadName;
    private readonly Action _service;
    private readonly AutoResetEvent _kick = new(false);
    private Thread? _thread;
    private volatile bool _stopRequested;

    /// <summary>Creates a stopped worker whose thread is named <paramref name="threadName"/>.</summary>
    public VirtioWorker(string threadName, Action service)
    {
        _threadName = threadName;
        _service = service;
    }

    /// <summary>True once <see cref="Stop"/> began: the service routine should return soon.</summary>
    public bool StopRequested => _stopRequested;

    /// <summary>Starts the thread and runs the service once (buffers may already be waiting).</summary>
    public void Start()
    {
        if (_thread is not null)
        {
            return;
        }

        _stopRequested = false;
        _thread = new Thread(Run) { Name = _threadName, IsBackground = true };
        _thread.Start();
        _kick.Set();
    }

    /// <summary>Wakes the thread (an available buffer notification, or new host input).</summary>
    public void Kick() => _kick.Set();

    /// <summary>Asks the thread to stop and waits until it no longer touches guest memory.</summary>
    public void Stop()
    {
        Thread? thread = _thread;
        if (thread is null)
        {
            return;
        }

        _stopRequested = true;
        _kick.Set();
        if (thread != Thread.CurrentThread)
        {
            thread.Join();
        }

        _thread = null;
    }

    private void Run()
    {
        while (true)
        {
            _kick.WaitOne();
            if (_stopRequested)
            {
                return;
            }

            _service();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Stop();
        _kick.Dispose();
    }
}
