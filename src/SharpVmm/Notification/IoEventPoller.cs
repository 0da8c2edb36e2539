using SharpVmm.Kvm;
using SharpVmm.Sys;

namespace SharpVmm.Notification;

/// <summary>
/// One dedicated thread that waits (epoll) on a set of eventfds, typically ioeventfds for virtqueue notify registers,
/// and calls each one's callback when it fires (once per wake-up, however many signals were coalesced). Callbacks run on
/// the poller thread and must not block. <see cref="Stop"/> wakes the thread through a private eventfd and joins it.
/// </summary>
public sealed class IoEventPoller : IDisposable
{
    private const ulong WakeToken = 0;

    private readonly EventFdSet _set = new();
    private readonly EventFd _wake = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, (EventFd EventFd, Action Callback)> _entries = [];
    private readonly Thread _thread;
    private ulong _nextToken = WakeToken + 1;
    private volatile bool _stopping;
    private long _dispatched;
    private long _callbackFailures;
    private bool _started;
    private bool _disposed;

    /// <summary>Creates a stopped poller; <see cref="Start"/> starts its thread.</summary>
    /// <param name="name">The thread name (for debuggers and dumps).</param>
    public IoEventPoller(string name = "ioeventfd poller")
    {
        _set.Add(_wake, WakeToken);
        _thread = new Thread(Loop) { IsBackground = true, Name = name };
    }

    /// <summary>Callbacks run so far.</summary>
    public long Dispatched => Interlocked.Read(ref _dispatched);

    /// <summary>
    /// Callbacks that threw (a VMM bug; the poller keeps going), and the poll itself failing (the thread ends). The
    /// last one is in <see cref="LastFailure"/>.
    /// </summary>
    public long CallbackFailures => Interlocked.Read(ref _callbackFailures);

    /// <summary>The last exception a callback threw, if any.</summary>
    public Exception? LastFailure { get; private set; }

    /// <summary>
    /// Watches <paramref name="eventFd"/> (not owned) and calls <paramref name="callback"/> on the poller thread when it
    /// is signalled. May be called before or after <see cref="Start"/>. Returns a token for <see cref="Unregister"/>.
    /// </summary>
    public ulong Register(EventFd eventFd, Action callback)
    {
        ArgumentNullException.ThrowIfNull(eventFd);
        ArgumentNullException.ThrowIfNull(callback);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ulong token = _nextToken++;
            _entries.Add(token, (eventFd, callback));
            _set.Add(eventFd, token);
            return token;
        }
    }

    /// <summary>Stops watching the eventfd registered as <paramref name="token"/>. False if it is not registered.</summary>
    public bool Unregister(ulong token)
    {
        lock (_lock)
        {
            if (_disposed || !_entries.Remove(token, out var entry))
            {
                return false;
            }

            _set.Remove(entry.EventFd);
            return true;
        }
    }

    /// <summary>Starts the poller thread (once).</summary>
    public void Start()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_started)
            {
                return;
            }

            _started = true;
            _thread.Start();
        }
    }

    /// <summary>Stops the thread and waits for it: no callback runs after this returns (unless called from one).</summary>
    public void Stop()
    {
        _stopping = true;
        bool started;
        lock (_lock)
        {
            started = _started;
            if (!_disposed)
            {
                _wake.Signal();
            }
        }

        if (started && Thread.CurrentThread != _thread)
        {
            _thread.Join();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Stop();
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _entries.Clear();
            _set.Dispose();
            _wake.Dispose();
        }
    }

    private void Loop()
    {
        try
        {
            SeccompPolicy.ApplyToCurrentThread(SeccompThreadKind.Device);
        }
        catch (SystemCallException ex)
        {
            LastFailure = ex; // the devices fall silent, the process lives; it is recorded
            Interlocked.Increment(ref _callbackFailures);
            return;
        }

        Span<ulong> ready = stackalloc ulong[16];
        while (!_stopping)
        {
            int count;
            try
            {
                count = _set.Wait(ready, -1);
            }
            catch (SystemCallException ex)
            {
                // epoll itself failed: the thread ends (the devices fall silent) but the process lives; it is recorded.
                LastFailure = ex;
                Interlocked.Increment(ref _callbackFailures);
                return;
            }

            for (int i = 0; i < count && !_stopping; i++)
            {
                Dispatch(ready[i]);
            }
        }
    }

    private void Dispatch(ulong token)
    {
        if (token == WakeToken)
        {
            _wake.TryRead(out _);
            return;
        }

        Action callback;
        lock (_lock)
        {
            if (!_entries.TryGetValue(token, out var entry))
            {
                return; // unregistered after epoll reported it
            }

            entry.EventFd.TryRead(out _);
            callback = entry.Callback;
        }

        try
        {
            callback();
            Interlocked.Increment(ref _dispatched);
        }
#pragma warning disable CA1031 // a faulty callback must not kill the thread every device notification depends on
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LastFailure = ex;
            Interlocked.Increment(ref _callbackFailures);
        }
    }
}
