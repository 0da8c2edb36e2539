using System.Runtime.InteropServices;
using SharpVmm.Kvm.Interop;

namespace SharpVmm.Kvm;

/// <summary>
/// A Linux eventfd (eventfd2 with <c>EFD_CLOEXEC</c>): a 64-bit counter that one side adds to (<see cref="Signal"/>,
/// or KVM on an ioeventfd hit) and the other reads and clears (<see cref="TryRead"/>). KVM uses it both ways: an
/// ioeventfd signals it on a guest write, an irqfd injects an interrupt when it is signalled. Thread-safe.
/// </summary>
public sealed unsafe class EventFd : IDisposable
{
    /// <summary>Creates an eventfd with counter <paramref name="initialValue"/>.</summary>
    /// <param name="initialValue">The starting counter.</param>
    /// <param name="nonBlocking">With <c>EFD_NONBLOCK</c> (the default) reads of a zero counter return at once.</param>
    /// <exception cref="KvmException">eventfd2 failed (descriptor limit, no memory).</exception>
    public EventFd(uint initialValue = 0, bool nonBlocking = true)
    {
        int flags = Libc.EFD_CLOEXEC | (nonBlocking ? Libc.EFD_NONBLOCK : 0);
        int fd = Libc.EventFd(initialValue, flags);
        if (fd < 0)
        {
            throw KvmException.FromLastError("eventfd2");
        }

        Handle = new FileDescriptorHandle(fd);
        IsNonBlocking = nonBlocking;
    }

    /// <summary>The owned descriptor.</summary>
    public FileDescriptorHandle Handle { get; }

    /// <summary>Whether reads of a zero counter return at once instead of blocking.</summary>
    public bool IsNonBlocking { get; }

    /// <summary>Adds <paramref name="value"/> to the counter, waking readers. A counter at its maximum drops the add.</summary>
    /// <exception cref="KvmException">The write failed for a reason other than a full counter.</exception>
    public void Signal(ulong value = 1)
    {
        ArgumentOutOfRangeException.ThrowIfZero(value);
        ObjectDisposedException.ThrowIf(Handle.IsClosed, this);
        while (true)
        {
            // SAFETY: value is a local 8-byte buffer that outlives the synchronous write.
            nint written = Libc.Write(Handle.Fd, &value, sizeof(ulong));
            if (written == sizeof(ulong))
            {
                return;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.EAGAIN)
            {
                return; // the counter is saturated: a reader is already due to wake
            }

            if (errno != Libc.EINTR)
            {
                throw new KvmException("eventfd write", errno);
            }
        }
    }

    /// <summary>Reads and clears the counter. False (and 0) if it was zero (non-blocking eventfd only).</summary>
    /// <exception cref="KvmException">The read failed for a reason other than an empty counter.</exception>
    public bool TryRead(out ulong value)
    {
        ObjectDisposedException.ThrowIf(Handle.IsClosed, this);
        ulong counter = 0;
        while (true)
        {
            // SAFETY: counter is a local 8-byte buffer that outlives the synchronous read.
            nint read = Libc.Read(Handle.Fd, &counter, sizeof(ulong));
            if (read == sizeof(ulong))
            {
                value = counter;
                return true;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.EAGAIN)
            {
                value = 0;
                return false;
            }

            if (errno != Libc.EINTR)
            {
                throw new KvmException("eventfd read", errno);
            }
        }
    }

    /// <summary>Waits (poll) until the counter is non-zero or <paramref name="timeout"/> passes; does not clear it.</summary>
    /// <param name="timeout">How long to wait; <see cref="Timeout.InfiniteTimeSpan"/> waits for ever.</param>
    /// <returns>True if the eventfd is readable.</returns>
    public bool Wait(TimeSpan timeout)
    {
        ObjectDisposedException.ThrowIf(Handle.IsClosed, this);
        int timeoutMs = timeout == Timeout.InfiniteTimeSpan ? -1 : (int)Math.Clamp(Math.Ceiling(timeout.TotalMilliseconds), 0, int.MaxValue);
        var pollFd = new PollFd { Fd = Handle.Fd, Events = Libc.POLLIN };
        while (true)
        {
            // SAFETY: pollFd is a local that outlives the synchronous poll.
            int ready = Libc.Poll(&pollFd, 1, timeoutMs);
            if (ready >= 0)
            {
                return ready > 0 && (pollFd.Revents & Libc.POLLIN) != 0;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno != Libc.EINTR)
            {
                throw new KvmException("poll", errno);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => Handle.Dispose();
}
