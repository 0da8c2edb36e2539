namespace SharpVmm.Sys;

/// <summary>
/// A Linux eventfd (eventfd2 with <c>EFD_CLOEXEC</c>): a 64-bit counter that one side adds to (<see cref="Signal"/>,
/// or KVM on an ioeventfd hit) and the other reads and clears (<see cref="TryRead"/>). KVM uses it both ways: an
/// ioeventfd signals it on a guest write, an irqfd injects an interrupt when it is signalled. A device thread sleeps
/// on one. Thread-safe: every call holds the descriptor open (its number not reused) for its duration.
/// </summary>
public sealed unsafe class EventFd : IDisposable
{
    /// <summary>Creates an eventfd with counter <paramref name="initialValue"/>.</summary>
    /// <param name="initialValue">The starting counter.</param>
    /// <param name="nonBlocking">With <c>EFD_NONBLOCK</c> (the default) reads of a zero counter return at once.</param>
    /// <exception cref="SystemCallException">eventfd2 failed (descriptor limit, no memory).</exception>
    public EventFd(uint initialValue = 0, bool nonBlocking = true)
    {
        int flags = Libc.EFD_CLOEXEC | (nonBlocking ? Libc.EFD_NONBLOCK : 0);
        int fd = Libc.EventFd(initialValue, flags);
        if (fd < 0)
        {
            throw SystemCallException.FromLastError("eventfd2");
        }

        Handle = new FileDescriptor(fd);
        IsNonBlocking = nonBlocking;
    }

    /// <summary>The owned descriptor.</summary>
    public FileDescriptor Handle { get; }

    /// <summary>Whether reads of a zero counter return at once instead of blocking.</summary>
    public bool IsNonBlocking { get; }

    /// <summary>Adds <paramref name="value"/> to the counter, waking readers. A counter at its maximum drops the add.</summary>
    /// <exception cref="SystemCallException">The write failed for a reason other than a full counter.</exception>
    /// <exception cref="ObjectDisposedException">The eventfd was disposed.</exception>
    public void Signal(ulong value = 1)
    {
        ArgumentOutOfRangeException.ThrowIfZero(value);
        ObjectDisposedException.ThrowIf(Handle.IsClosed, this);
        int errno = Add(value);
        if (errno != 0)
        {
            throw new SystemCallException("eventfd write", errno);
        }
    }

    /// <summary>
    /// Adds 1 to the counter if the eventfd is still open; never throws. For a waker that may race with the sleeper's
    /// disposal: once disposed there is nobody left to wake. False when disposed or the write failed.
    /// </summary>
    public bool TrySignal()
    {
        try
        {
            return Add(1) == 0;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Reads and clears the counter. False (and 0) if it was zero (non-blocking eventfd only).</summary>
    /// <exception cref="SystemCallException">The read failed for a reason other than an empty counter.</exception>
    /// <exception cref="ObjectDisposedException">The eventfd was disposed.</exception>
    public bool TryRead(out ulong value)
    {
        ObjectDisposedException.ThrowIf(Handle.IsClosed, this);
        bool added = false;
        try
        {
            Handle.DangerousAddRef(ref added);
            ulong counter = 0;
            while (true)
            {
                // SAFETY: counter is a local 8-byte buffer that outlives the synchronous read; the handle is held open.
                nint read = Libc.Read(Handle.Fd, &counter, sizeof(ulong));
                if (read == sizeof(ulong))
                {
                    value = counter;
                    return true;
                }

                int errno = Errno.Last();
                if (errno == Errno.EAGAIN)
                {
                    value = 0;
                    return false;
                }

                if (errno != Errno.EINTR)
                {
                    throw new SystemCallException("eventfd read", errno);
                }
            }
        }
        finally
        {
            if (added)
            {
                Handle.DangerousRelease();
            }
        }
    }

    /// <summary>Waits (poll) until the counter is non-zero or <paramref name="timeout"/> passes; does not clear it.</summary>
    /// <param name="timeout">How long to wait; <see cref="Timeout.InfiniteTimeSpan"/> waits for ever.</param>
    /// <returns>True if the eventfd is readable.</returns>
    /// <exception cref="SystemCallException">poll failed.</exception>
    /// <exception cref="ObjectDisposedException">The eventfd was disposed.</exception>
    public bool Wait(TimeSpan timeout)
    {
        ObjectDisposedException.ThrowIf(Handle.IsClosed, this);
        int timeoutMs = timeout == Timeout.InfiniteTimeSpan ? -1 : (int)Math.Clamp(Math.Ceiling(timeout.TotalMilliseconds), 0, int.MaxValue);
        bool added = false;
        try
        {
            Handle.DangerousAddRef(ref added);
            var pollFd = PollFd.ForReading(Handle.Fd);
            while (true)
            {
                // SAFETY: pollFd is a local that outlives the synchronous poll; the handle is held open.
                int ready = Libc.Poll(&pollFd, 1, timeoutMs);
                if (ready >= 0)
                {
                    return ready > 0 && pollFd.IsReadable;
                }

                int errno = Errno.Last();
                if (errno != Errno.EINTR)
                {
                    throw new SystemCallException("poll", errno);
                }
            }
        }
        finally
        {
            if (added)
            {
                Handle.DangerousRelease();
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => Handle.Dispose();

    // Writes value, retrying on EINTR; 0 when written or the counter is saturated (a reader is already due to wake),
    // else the errno.
    private int Add(ulong value)
    {
        bool added = false;
        try
        {
            Handle.DangerousAddRef(ref added);
            while (true)
            {
                // SAFETY: value is a local 8-byte buffer that outlives the synchronous write; the handle is held open.
                if (Libc.Write(Handle.Fd, &value, sizeof(ulong)) == sizeof(ulong))
                {
                    return 0;
                }

                int errno = Errno.Last();
                if (errno != Errno.EINTR)
                {
                    return errno == Errno.EAGAIN ? 0 : errno;
                }
            }
        }
        finally
        {
            if (added)
            {
                Handle.DangerousRelease();
            }
        }
    }
}
