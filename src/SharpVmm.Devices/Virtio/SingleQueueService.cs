using System.Runtime.InteropServices;
using SharpVmm.Devices.Virtio.RateLimiting;

namespace SharpVmm.Devices.Virtio;

/// <summary>
/// The life cycle of a device with one request queue served by one device thread (virtio-blk, virtio-rng): activate
/// queue 0 if the driver enabled it, wake the thread on notifications, drain the queue through the device's handler,
/// stop on reset.
/// </summary>
internal sealed class SingleQueueService : IDisposable
{
    private readonly VirtioWorker _worker;
    private readonly Func<DescriptorChain, uint> _handle;
    private readonly Func<DescriptorChain, long> _bytesOf;
    private readonly Func<DescriptorChain, bool> _admit;
    private readonly Func<bool> _running;
    private DeviceQueue? _queue;

    /// <summary>Creates a stopped service whose thread is named <paramref name="threadName"/>; <paramref name="handle"/> answers one chain and returns its used length.</summary>
    /// <param name="threadName">The thread's name.</param>
    /// <param name="handle">Answers one chain; returns its used length.</param>
    /// <param name="bytesOf">What a chain costs the <see cref="RateLimiter"/>'s bandwidth bucket (each chain is one operation).</param>
    public SingleQueueService(string threadName, Func<DescriptorChain, uint> handle, Func<DescriptorChain, long> bytesOf)
    {
        _handle = handle;
        _bytesOf = bytesOf;
        _admit = Admit;
        _worker = new VirtioWorker(threadName, Service);
        _running = () => !_worker.ShouldYield;
        RateLimiter.OnChanged(_worker.Kick);
    }

    /// <summary>The queue's rate limiter: a chain it cannot pay for waits in the ring until the bucket has refilled.</summary>
    public RateLimiter RateLimiter { get; } = new();

    /// <summary>The active queue, or null before activation and after a reset.</summary>
    public DeviceQueue? Queue => _queue;

    /// <summary>Queue 0's positions, or null while it is not served. Call while paused.</summary>
    public VirtQueueState? SaveQueueState() => _queue?.Queue.SaveState();

    /// <summary>Starts serving queue 0 if the driver enabled it.</summary>
    public void Activate(VirtioActivation activation)
    {
        ArgumentNullException.ThrowIfNull(activation);
        _queue = DeviceQueue.CreateIfReady(activation, 0);
        if (_queue is not null)
        {
            _worker.Start();
        }
    }

    /// <summary>What stopped the device thread, if a device bug did (the queue is then served no more).</summary>
    public Exception? WorkerFailure => _worker.Failure;

    /// <summary>Wakes the thread for queue 0; other indices are ignored.</summary>
    public void Notify(int queueIndex)
    {
        if (queueIndex == 0)
        {
            _worker.Kick();
        }
    }

    /// <summary>The eventfd that wakes the thread for queue 0 (for an ioeventfd), or null for any other index.</summary>
    public SafeHandle? QueueNotificationHandle(int queueIndex) => queueIndex == 0 ? _worker.NotificationHandle : null;

    /// <summary>How many times the thread went to sleep on queue 0's eventfd with nothing to do; 0 for any other index.</summary>
    public long IdleWaits(int queueIndex) => queueIndex == 0 ? _worker.IdleWaits : 0;

    /// <summary>Stops the thread; returns once it no longer touches guest memory.</summary>
    /// <summary>Stops the worker from touching the queue and guest memory until <see cref="Resume"/>.</summary>
    public void Pause() => _worker.Pause();

    /// <summary>Lets the worker go on.</summary>
    public void Resume() => _worker.Resume();

    public void Reset()
    {
        _worker.Stop();
        _queue = null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _worker.Dispose();
        _queue = null;
    }

    private void Service() => _queue?.Drain(_handle, _running, RateLimiter.LimitsAnything ? _admit : null);

    private bool Admit(DescriptorChain chain)
    {
        if (RateLimiter.TryConsume(_bytesOf(chain), 1, out TimeSpan retryAfter))
        {
            return true;
        }

        _worker.RetryAfter(retryAfter);
        return false;
    }
}
