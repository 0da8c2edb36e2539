namespace SharpVmm.Sys;

/// <summary>
/// An epoll instance over eventfds: each added <see cref="EventFd"/> carries a caller-chosen token, and
/// <see cref="Wait"/> returns the tokens of the readable ones. Level-triggered: a token comes back until its eventfd
/// is read. Add/Remove may be called while another thread waits.
/// </summary>
public sealed unsafe class EventFdSet : IDisposable
{
    private readonly FileDescriptor _epoll;

    /// <summary>Creates an empty set.</summary>
    /// <exception cref="SystemCallException">epoll_create1 failed.</exception>
    public EventFdSet()
    {
        int fd = Libc.EpollCreate1(Libc.EPOLL_CLOEXEC);
        if (fd < 0)
        {
            throw SystemCallException.FromLastError("epoll_create1");
        }

        _epoll = new FileDescriptor(fd);
    }

    /// <summary>Adds <paramref name="eventFd"/>; <see cref="Wait"/> reports it as <paramref name="token"/>.</summary>
    /// <exception cref="SystemCallException">epoll_ctl failed (EEXIST: already in the set).</exception>
    public void Add(EventFd eventFd, ulong token)
    {
        ArgumentNullException.ThrowIfNull(eventFd);
        var ev = new EpollEvent { Events = Libc.EPOLLIN, Data = token };
        // SAFETY: ev is a local that outlives the synchronous call, which copies it.
        if (Libc.EpollCtl(_epoll.Fd, Libc.EPOLL_CTL_ADD, eventFd.Handle.Fd, &ev) != 0)
        {
            throw SystemCallException.FromLastError("epoll_ctl(EPOLL_CTL_ADD)");
        }
    }

    /// <summary>Removes <paramref name="eventFd"/>.</summary>
    /// <exception cref="SystemCallException">epoll_ctl failed (ENOENT: not in the set).</exception>
    public void Remove(EventFd eventFd)
    {
        ArgumentNullException.ThrowIfNull(eventFd);
        var ev = default(EpollEvent);
        // SAFETY: ev is a local (ignored by EPOLL_CTL_DEL, passed for old kernels).
        if (Libc.EpollCtl(_epoll.Fd, Libc.EPOLL_CTL_DEL, eventFd.Handle.Fd, &ev) != 0)
        {
            throw SystemCallException.FromLastError("epoll_ctl(EPOLL_CTL_DEL)");
        }
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> milliseconds (-1: for ever) for readable eventfds and writes their
    /// tokens to <paramref name="readyTokens"/>. Returns how many (0 on timeout or on a signal interrupting the wait).
    /// </summary>
    /// <exception cref="SystemCallException">epoll_wait failed.</exception>
    public int Wait(Span<ulong> readyTokens, int timeoutMs)
    {
        if (readyTokens.IsEmpty)
        {
            throw new ArgumentException("room for at least one token is needed", nameof(readyTokens));
        }

        int max = Math.Min(readyTokens.Length, 64);
        EpollEvent* events = stackalloc EpollEvent[max];
        // SAFETY: events is a stack buffer of max entries, valid for the synchronous call.
        int count = Libc.EpollWait(_epoll.Fd, events, max, timeoutMs);
        if (count < 0)
        {
            int errno = Errno.Last();
            return errno == Errno.EINTR ? 0 : throw new SystemCallException("epoll_wait", errno);
        }

        for (int i = 0; i < count; i++)
        {
            readyTokens[i] = events[i].Data;
        }

        return count;
    }

    /// <inheritdoc />
    public void Dispose() => _epoll.Dispose();
}
