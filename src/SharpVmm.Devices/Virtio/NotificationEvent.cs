using System.Runtime.InteropServices;
using SharpVmm.Sys;

namespace SharpVmm.Devices.Virtio;

/// <summary>
/// What a device's own thread sleeps on: a non-blocking <see cref="EventFd"/> whose counter
/// <see cref="Kick"/> adds 1 to and <see cref="Wait"/> clears. Because it is a plain descriptor, the VMM can also hand
/// <see cref="Handle"/> to KVM as an ioeventfd: a guest's notify write then wakes the device thread directly, with no
/// exit to user space and no thread in between. Kicks coalesce (like an auto-reset event): one wake-up may stand for
/// several. <see cref="Kick"/> is thread-safe; one thread at a time waits.
/// </summary>
public sealed class NotificationEvent : IDisposable
{
    private readonly EventFd _event;
    private long _idleWaits;

    /// <summary>Creates an event with no kick pending.</summary>
    /// <exception cref="SystemCallException">eventfd2 failed (descriptor limit, no memory); an <see cref="IOException"/>.</exception>
    public NotificationEvent() => _event = new EventFd();

    /// <summary>
    /// The eventfd. Writing an 8-byte non-zero count to it (what KVM does on an ioeventfd hit) is the same as
    /// <see cref="Kick"/>. Owned by this object: valid until <see cref="Dispose"/>.
    /// </summary>
    public SafeHandle Handle => _event.Handle;

    /// <summary>
    /// How many times a <see cref="Wait"/> found no kick pending and went to sleep on the eventfd. Once it has grown, the
    /// waiter can only go on after a kick (or a write to <see cref="Handle"/>) that came later: a diagnostic, and what a
    /// test waits for before it makes work that only a wake-up may find.
    /// </summary>
    public long IdleWaits => Interlocked.Read(ref _idleWaits);

    /// <summary>Wakes the waiter (now, or at its next <see cref="Wait"/>). Never blocks; a no-op once disposed.</summary>
    public void Kick() => _event.TrySignal();

    /// <summary>
    /// Waits until a kick is pending or <paramref name="timeoutMs"/> passes (-1: for ever), and clears it.
    /// True if a kick was consumed; false on time-out (callers loop).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The event was disposed.</exception>
    public bool Wait(int timeoutMs)
    {
        ObjectDisposedException.ThrowIf(_event.Handle.IsClosed, this);
        if (TryConsume())
        {
            return true;
        }

        if (timeoutMs != 0)
        {
            Interlocked.Increment(ref _idleWaits);
        }

        return _event.Wait(TimeSpan.FromMilliseconds(timeoutMs)) && TryConsume();
    }

    /// <summary>Clears a pending kick without waiting; true if there was one.</summary>
    /// <exception cref="ObjectDisposedException">The event was disposed.</exception>
    public bool TryConsume()
    {
        ObjectDisposedException.ThrowIf(_event.Handle.IsClosed, this);
        return _event.TryRead(out ulong counter) && counter != 0;
    }

    /// <inheritdoc />
    public void Dispose() => _event.Dispose();
}
