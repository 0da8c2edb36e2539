using SharpVmm.Sys;
using System.Runtime.InteropServices;

namespace SharpVmm.Devices.Virtio;

/// <summary>
/// A device's own thread (ARCHITECTURE.md, Threads): it sleeps until kicked, then runs the device's service routine.
/// <see cref="Kick"/> never blocks, so a vCPU thread can call it from <see cref="IVirtioDevice.Notify"/>. The thread
/// sleeps on a <see cref="NotificationEvent"/> (an eventfd), whose <see cref="NotificationHandle"/> the VMM can make
/// an ioeventfd so that KVM kicks the thread itself.
/// </summary>
/// <remarks>
/// A stop that runs out of time (<see cref="StopTimeout"/>: a service busy with one long request, a WRITE_ZEROES
/// fallback writing gigabytes) does not wait on: the thread is left to finish that request, which may still write its
/// data, its used-ring entry and its interrupt, and then exits without taking another request or touching the queues
/// again. The worker is broken from then on (<see cref="Failure"/> is a <see cref="DeviceStopTimeoutException"/>,
/// <see cref="Start"/> starts nothing), so no second thread ever serves the same rings. <see cref="Dispose"/> still
/// waits for such a thread without a limit: the guest memory it writes must not be unmapped under it.
/// </remarks>
internal sealed class VirtioWorker : IDisposable
{
    /// <summary>How long <see cref="Stop"/> waits for the thread (a device reset, on a vCPU thread).</summary>
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(3);

    private readonly string _threadName;
    private readonly Action _service;
    private readonly Action? _interruptService;
    private readonly NotificationEvent _kick = new();
    private Thread? _thread;
    private readonly Lock _serviceLock = new();
    private volatile bool _stopRequested;
    private volatile bool _pauseRequested;
    private Thread? _abandoned;
    private Exception? _failure;
    private long _retryAt; // Stopwatch timestamp at which the thread runs the service unkicked; 0 for none

    /// <summary>Creates a stopped worker whose thread is named <paramref name="threadName"/>.</summary>
    /// <param name="threadName">The thread's name.</param>
    /// <param name="service">Runs on the thread after each kick; returns when there is nothing left to do.</param>
    /// <param name="interruptService">For a service that may also wait on something else (a back-end): called by
    /// <see cref="Stop"/> and <see cref="Pause"/> once <see cref="ShouldYield"/> is true, to end such a wait.</param>
    public VirtioWorker(string threadName, Action service, Action? interruptService = null)
    {
        _threadName = threadName;
        _service = service;
        _interruptService = interruptService;
    }

    /// <summary>The eventfd the thread sleeps on: signalling it is <see cref="Kick"/> (see <see cref="IVirtioNotificationSource"/>).</summary>
    public SafeHandle NotificationHandle => _kick.Handle;

    /// <summary>True once <see cref="Stop"/> began: the service routine should return soon.</summary>
    public bool StopRequested => _stopRequested;

    /// <summary>
    /// Whether the service should return as soon as it can: the worker is stopping or pausing. A service that loops
    /// (a queue drain, a receive loop) checks this between requests.
    /// </summary>
    public bool ShouldYield => _stopRequested || _pauseRequested;

    /// <summary>
    /// Returns once the service is not running and will not run again until <see cref="Resume"/>: the device's
    /// thread no longer touches guest memory or its queues. Kicks that arrive meanwhile are taken up on resume.
    /// </summary>
    public void Pause()
    {
        _pauseRequested = true;
        _interruptService?.Invoke();
        lock (_serviceLock)
        {
            // Taking the lock waits for a service call in progress to return; none starts after it.
        }
    }

    /// <summary>Lets the service run again, and runs it once for whatever arrived while the worker was paused.</summary>
    public void Resume()
    {
        _pauseRequested = false;
        _kick.Kick();
    }

    /// <summary>How many times the thread found nothing to do and went to sleep (see <see cref="NotificationEvent.IdleWaits"/>).</summary>
    public long IdleWaits => _kick.IdleWaits;

    /// <summary>
    /// Starts the thread and runs the service once (buffers may already be waiting). The kick for that pass is made
    /// before the thread starts, so the thread's first sleep (<see cref="IdleWaits"/>) comes after its first pass.
    /// </summary>
    public void Start()
    {
        if (_thread is not null || _abandoned is not null)
        {
            return; // running, or broken by a stop that ran out of time
        }

        _stopRequested = false;
        _retryAt = 0;
        _thread = new Thread(Run) { Name = _threadName, IsBackground = true };
        _kick.Kick();
        UnconfinedThreadStarter.Start(_thread); // activated on a vCPU's exit: not under the vCPU's seccomp filter
    }

    /// <summary>Wakes the thread (an available buffer notification, or new host input).</summary>
    public void Kick() => _kick.Kick();

    /// <summary>
    /// Called by the service before it returns with work left that it may not do yet (a rate limiter's bucket is
    /// empty): the thread runs the service again after <paramref name="delay"/>, unless a kick comes first. The
    /// thread sleeps meanwhile; a pause or stop ends the wait as before.
    /// </summary>
    public void RetryAfter(TimeSpan delay)
    {
        long ticks = delay >= TimeSpan.FromDays(1) ? TimeSpan.FromDays(1).Ticks : Math.Max(delay.Ticks, 0);
        _retryAt = System.Diagnostics.Stopwatch.GetTimestamp() + (long)((Int128)ticks * System.Diagnostics.Stopwatch.Frequency / TimeSpan.TicksPerSecond) + 1;
    }

    /// <summary>
    /// Asks the thread to stop and waits, at most <see cref="StopTimeout"/>, until it no longer touches guest memory.
    /// Returns false when the time ran out: the thread is abandoned (see the remarks) and <see cref="Failure"/> says so.
    /// </summary>
    public bool Stop() => StopWithin(StopTimeout);

    private bool StopWithin(TimeSpan timeout)
    {
        Thread? thread = _thread;
        if (thread is null)
        {
            return _abandoned is null;
        }

        _stopRequested = true;
        _interruptService?.Invoke();
        _kick.Kick();
        _thread = null;
        if (thread != Thread.CurrentThread && !thread.Join(timeout))
        {
            _abandoned = thread;
            Interlocked.CompareExchange(ref _failure, new DeviceStopTimeoutException(_threadName, timeout), null);
            return false;
        }

        return true;
    }

    private void Run()
    {
        try
        {
            SeccompPolicy.ApplyToCurrentThread(SeccompThreadKind.Device);
            ServeUntilStopped();
        }
#pragma warning disable CA1031 // the device thread's last resort: a device bug stops this device, not the VMM and its other devices
        catch (Exception ex)
#pragma warning restore CA1031
        {
            // Any exception, OutOfMemoryException included: a guest-sized allocation that fails is this device's
            // failure (reported through VmRunResult.DeviceFailures), never the process's.
            Interlocked.CompareExchange(ref _failure, ex, null); // a stop that ran out of time stays the report
        }
    }

    private void ServeUntilStopped()
    {
        while (!_stopRequested) // checked before each wait: an abandoned thread never waits on the eventfd again
        {
            bool kicked = _kick.Wait(RetryTimeoutMs()); // false on a retry's time-out, or when a signal interrupted the wait
            if (_stopRequested)
            {
                return;
            }

            if (!kicked && (_retryAt == 0 || System.Diagnostics.Stopwatch.GetTimestamp() < _retryAt))
            {
                continue;
            }

            _retryAt = 0; // the service sets a new one if it still has to wait
            if (!_pauseRequested)
            {
                lock (_serviceLock)
                {
                    if (_pauseRequested)
                    {
                        continue; // Resume kicks again
                    }

                    _service();
                }
            }
        }
    }

    // The wait until the retry the service asked for (-1: none, sleep until kicked); rounded up to whole milliseconds.
    private int RetryTimeoutMs()
    {
        if (_retryAt == 0)
        {
            return -1;
        }

        long left = _retryAt - System.Diagnostics.Stopwatch.GetTimestamp();
        return left <= 0 ? 0 : (int)Math.Min(int.MaxValue, ((left * 1000) + System.Diagnostics.Stopwatch.Frequency - 1) / System.Diagnostics.Stopwatch.Frequency);
    }

    /// <summary>The exception that ended the thread (the service's, or the wait's), or a
    /// <see cref="DeviceStopTimeoutException"/> once a stop ran out of time; null while the thread lives.</summary>
    public Exception? Failure => Volatile.Read(ref _failure);

    /// <inheritdoc />
    /// <remarks>Waits without a limit for a thread that is still finishing (an abandoned one included): guest
    /// memory is unmapped after the devices are disposed.</remarks>
    public void Dispose()
    {
        StopWithin(Timeout.InfiniteTimeSpan);
        if (_abandoned is { } thread && thread != Thread.CurrentThread)
        {
            thread.Join();
        }

        _kick.Dispose();
    }
}
