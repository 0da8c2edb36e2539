using System.Runtime.InteropServices;
using SharpVmm.Devices.Virtio.Net;

namespace SharpVmm.Devices.Virtio;

/// <summary>
/// What a device's own thread sleeps on: a Linux eventfd (eventfd2, <c>EFD_CLOEXEC | EFD_NONBLOCK</c>) whose counter
/// <see cref="Kick"/> adds 1 to and <see cref="Wait"/> clears. Because it is a plain descriptor, the VMM can also hand
/// <see cref="Handle"/> to KVM as an ioeventfd: a guest's notify write then wakes the device thread directly, with no
/// exit to user space and no thread in between. Kicks coalesce (like an auto-reset event): one wake-up may stand for
/// several. <see cref="Kick"/> is thread-safe; one thread at a time waits.
/// </summary>
public sealed class NotificationEvent : IDisposable
{
    private readonly LinuxFileHandle _fd;
    private readonly PollDescriptor[] _pollSet = new PollDescriptor[1];
    private long _idleWaits;

    /// <summary>Creates an event with no kick pending.</summary>
    /// <exception cref="IOException">eventfd2 failed (descriptor limit, no memory).</exception>
    public NotificationEvent()
    {
        int fd = TapInterop.EventFd(0, TapInterop.EFD_CLOEXEC | TapInterop.EFD_NONBLOCK);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"eventfd2 failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }

        _fd = new LinuxFileHandle(fd);
    }

    /// <summary>
    /// The eventfd. Writing an 8-byte non-zero count to it (what KVM does on an ioeventfd hit) is the same as
    /// <see cref="Kick"/>. Owned by this object: valid until <see cref="Dispose"/>.
    /// </summary>
    public SafeHandle Handle => _fd;

    /// <summary>
    /// How many times a <see cref="Wait"/> found no kick pending and went to sleep on the eventfd. Once it has grown, the
    /// waiter can only go on after a kick (or a write to <see cref="Handle"/>) that came later: a diagnostic, and what a
    /// test waits for before it makes work that only a wake-up may find.
    /// </summary>
    public long IdleWaits => Interlocked.Read(ref _idleWaits);

    /// <summary>Wakes the waiter (now, or at its next <see cref="Wait"/>). Never blocks; a no-op once disposed.</summary>
    public void Kick()
    {
        bool added = false;
        try
        {
            _fd.DangerousAddRef(ref added);
            Span<byte> one = stackalloc byte[sizeof(ulong)];
            one[0] = 1; // the counter is a host-endian u64: little-endian on x86
            // EAGAIN means the counter is saturated: a wake-up is already due. EINTR cannot happen on a non-blocking write.
            TapInterop.Write(_fd.Fd, ref one[0], sizeof(ulong));
        }
        catch (ObjectDisposedException)
        {
            // disposed: nobody is left to wake
        }
        finally
        {
            if (added)
            {
                _fd.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Waits until a kick is pending or <paramref name="timeoutMs"/> passes (-1: for ever), and clears it.
    /// True if a kick was consumed; false on time-out or when a signal interrupted the wait (callers loop).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The event was disposed.</exception>
    public bool Wait(int timeoutMs)
    {
        ObjectDisposedException.ThrowIf(_fd.IsClosed, this);
        if (TryConsume())
        {
            return true;
        }

        if (timeoutMs != 0)
        {
            Interlocked.Increment(ref _idleWaits);
        }

        _pollSet[0] = new PollDescriptor { Fd = _fd.Fd, Events = TapInterop.POLLIN };
        int ready = TapInterop.Poll(_pollSet, 1, timeoutMs);
        return ready > 0 && TryConsume();
    }

    /// <summary>Clears a pending kick without waiting; true if there was one.</summary>
    /// <exception cref="ObjectDisposedException">The event was disposed.</exception>
    public bool TryConsume()
    {
        ObjectDisposedException.ThrowIf(_fd.IsClosed, this);
        Span<byte> counter = stackalloc byte[sizeof(ulong)];
        nint read = TapInterop.Read(_fd.Fd, ref counter[0], sizeof(ulong));
        return read == sizeof(ulong) && BitConverter.ToUInt64(counter) != 0; // EAGAIN (-1): no kick pending
    }

    /// <inheritdoc />
    public void Dispose() => _fd.Dispose();
}
