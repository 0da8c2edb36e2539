using System.Runtime.InteropServices;

namespace SharpVmm.Sys;

/// <summary>
/// The libc calls on file descriptors: open, close, read, write, ioctl, poll, eventfd, epoll, getrandom, fdatasync,
/// fallocate, fcntl record locks. Every call that can fail returns -1 and sets errno (read it with <see cref="Errno.Last"/>). The raw
/// declarations take pointers; the span and <c>ref</c> overloads let code without <c>unsafe</c> call them.
/// </summary>
public static unsafe partial class Libc
{
    /// <summary>open: for reading and writing.</summary>
    public const int O_RDWR = 0x2;
    /// <summary>open: reads and writes do not block.</summary>
    public const int O_NONBLOCK = 0x800;
    /// <summary>open: closed across exec.</summary>
    public const int O_CLOEXEC = 0x80000;
    /// <summary>eventfd: reads do not block.</summary>
    public const int EFD_NONBLOCK = 0x800;
    /// <summary>eventfd: closed across exec.</summary>
    public const int EFD_CLOEXEC = 0x80000;
    /// <summary>epoll_create1: closed across exec.</summary>
    public const int EPOLL_CLOEXEC = 0x80000;
    /// <summary>epoll_ctl: watch a descriptor.</summary>
    public const int EPOLL_CTL_ADD = 1;
    /// <summary>epoll_ctl: stop watching a descriptor.</summary>
    public const int EPOLL_CTL_DEL = 2;
    /// <summary>epoll: the descriptor is readable.</summary>
    public const uint EPOLLIN = 0x1;

    /// <summary>fallocate: do not change the file size.</summary>
    public const int FALLOC_FL_KEEP_SIZE = 0x01;

    /// <summary>fallocate: deallocate the range (it then reads as zeros); needs KEEP_SIZE.</summary>
    public const int FALLOC_FL_PUNCH_HOLE = 0x02;

    /// <summary>fallocate: make the range read as zeros, keeping it allocated.</summary>
    public const int FALLOC_FL_ZERO_RANGE = 0x10;

    /// <summary>fcntl: the first open-file-description lock that would block the given one (its type F_UNLCK when none would).</summary>
    public const int F_OFD_GETLK = 36;

    /// <summary>fcntl: take or release an open-file-description lock without waiting (EAGAIN when another holds a conflicting one).</summary>
    public const int F_OFD_SETLK = 37;

    /// <summary>A shared (read) lock.</summary>
    public const short F_RDLCK = 0;

    /// <summary>An exclusive (write) lock.</summary>
    public const short F_WRLCK = 1;

    /// <summary>No lock.</summary>
    public const short F_UNLCK = 2;

    private const string Lib = "libc";

    /// <summary>open(2) with a UTF-8 path; returns the new descriptor.</summary>
    [LibraryImport(Lib, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Open(string path, int flags);

    /// <summary>umask(2): sets the process's file mode creation mask and returns the previous one (it cannot fail).</summary>
    [LibraryImport(Lib, EntryPoint = "umask")]
    public static partial uint Umask(uint mask);

    /// <summary>close(2).</summary>
    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    /// <summary>ioctl(2) with an integer argument.</summary>
    [LibraryImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, nint arg);

    /// <summary>ioctl(2) with a pointer argument.</summary>
    [LibraryImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, void* arg);

    /// <summary>read(2); returns the byte count.</summary>
    [LibraryImport(Lib, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, void* buffer, nuint count);

    /// <summary>write(2); returns the byte count.</summary>
    [LibraryImport(Lib, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, void* buffer, nuint count);

    /// <summary>poll(2); returns how many descriptors are ready (0: timed out).</summary>
    [LibraryImport(Lib, EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    /// <summary>eventfd(2) (eventfd2): returns the new descriptor.</summary>
    [LibraryImport(Lib, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initialValue, int flags);

    /// <summary>getrandom(2); returns the byte count.</summary>
    [LibraryImport(Lib, EntryPoint = "getrandom", SetLastError = true)]
    public static partial nint GetRandom(void* buffer, nuint length, uint flags);

    /// <summary>fdatasync(2); the handle is kept open for the call.</summary>
    [LibraryImport(Lib, EntryPoint = "fdatasync", SetLastError = true)]
    public static partial int FDataSync(SafeHandle fd);

    /// <summary>fallocate(2) with <c>FALLOC_FL_*</c> <paramref name="mode"/>; the handle is kept open for the call.</summary>
    [LibraryImport(Lib, EntryPoint = "fallocate", SetLastError = true)]
    public static partial int FAllocate(SafeHandle fd, int mode, long offset, long length);

    /// <summary>fcntl(2) with a <c>struct flock</c> argument (the record-lock commands); the handle is kept open for the call.</summary>
    [LibraryImport(Lib, EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(SafeHandle fd, int command, Flock* flock);

    /// <summary>lseek(2); <paramref name="whence"/> may be <see cref="SeekData"/> or <see cref="SeekHole"/> to walk a sparse file's extents.</summary>
    [LibraryImport(Lib, EntryPoint = "lseek", SetLastError = true)]
    public static partial long LSeek(SafeHandle fd, long offset, int whence);

    /// <summary>SEEK_DATA: the next offset at or after the given one that holds data.</summary>
    public const int SeekData = 3;

    /// <summary>SEEK_HOLE: the next offset at or after the given one that is in a hole (or the end of the file).</summary>
    public const int SeekHole = 4;

    [LibraryImport(Lib, EntryPoint = "epoll_create1", SetLastError = true)]
    internal static partial int EpollCreate1(int flags);

    [LibraryImport(Lib, EntryPoint = "epoll_ctl", SetLastError = true)]
    internal static partial int EpollCtl(int epfd, int op, int fd, EpollEvent* ev);

    [LibraryImport(Lib, EntryPoint = "epoll_wait", SetLastError = true)]
    internal static partial int EpollWait(int epfd, EpollEvent* events, int maxEvents, int timeoutMs);

    /// <summary>read(2) into <paramref name="buffer"/>.</summary>
    public static nint Read(int fd, Span<byte> buffer)
    {
        // SAFETY: fixed pins the span for the synchronous read, which writes at most buffer.Length bytes.
        fixed (byte* p = buffer)
        {
            return Read(fd, p, (nuint)buffer.Length);
        }
    }

    /// <summary>write(2) of <paramref name="buffer"/>.</summary>
    public static nint Write(int fd, ReadOnlySpan<byte> buffer)
    {
        // SAFETY: fixed pins the span for the synchronous write, which reads at most buffer.Length bytes.
        fixed (byte* p = buffer)
        {
            return Write(fd, p, (nuint)buffer.Length);
        }
    }

    /// <summary>ioctl(2) whose argument points at <paramref name="arg"/>, which the kernel may read and write.</summary>
    public static int Ioctl<T>(int fd, nuint request, ref T arg) where T : unmanaged
    {
        // SAFETY: fixed pins arg for the synchronous ioctl; the request's size is the caller's T.
        fixed (T* p = &arg)
        {
            return Ioctl(fd, request, p);
        }
    }

    /// <summary>fcntl(2) record-lock <paramref name="command"/> (<see cref="F_OFD_SETLK"/>, <see cref="F_OFD_GETLK"/>) on <paramref name="flock"/>, which the kernel may update.</summary>
    public static int Fcntl(SafeHandle fd, int command, ref Flock flock)
    {
        // SAFETY: fixed pins flock for the synchronous call, which reads and writes exactly one struct flock (Flock.Size bytes).
        fixed (Flock* p = &flock)
        {
            return Fcntl(fd, command, p);
        }
    }

    /// <summary>poll(2) over <paramref name="fds"/>; -1 with errno (EINTR: a signal) on failure.</summary>
    public static int Poll(Span<PollFd> fds, int timeoutMs)
    {
        // SAFETY: fixed pins the span for the synchronous poll, which touches exactly fds.Length entries.
        fixed (PollFd* p = fds)
        {
            return Poll(p, (nuint)fds.Length, timeoutMs);
        }
    }

    /// <summary>getrandom(2) into <paramref name="buffer"/>.</summary>
    public static nint GetRandom(Span<byte> buffer, uint flags)
    {
        // SAFETY: fixed pins the span for the synchronous call, which writes at most buffer.Length bytes.
        fixed (byte* p = buffer)
        {
            return GetRandom(p, (nuint)buffer.Length, flags);
        }
    }
}
