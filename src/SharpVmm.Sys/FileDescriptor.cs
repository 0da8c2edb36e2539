using System.Runtime.InteropServices;

namespace SharpVmm.Sys;

/// <summary>
/// An owned Linux file descriptor, closed exactly once when released. -1 is the invalid value; 0 is a descriptor like
/// any other (standard input).
/// </summary>
public sealed class FileDescriptor : SafeHandle
{
    /// <summary>Creates an invalid handle (for the interop marshaller).</summary>
    public FileDescriptor() : base(-1, ownsHandle: true)
    {
    }

    /// <summary>Takes ownership of <paramref name="fd"/>.</summary>
    public FileDescriptor(int fd) : this(fd, ownsHandle: true)
    {
    }

    /// <summary>Wraps <paramref name="fd"/>; closes it on release only when <paramref name="ownsHandle"/>.</summary>
    public FileDescriptor(int fd, bool ownsHandle) : base(-1, ownsHandle) => SetHandle(fd);

    /// <inheritdoc />
    public override bool IsInvalid => handle == -1;

    /// <summary>The raw descriptor number; valid only while the handle is open.</summary>
    public int Fd => (int)handle;

    /// <summary>
    /// Opens <paramref name="path"/> with <paramref name="flags"/> (<see cref="Libc.O_RDWR"/> and the like).
    /// Returns null and leaves the errno for <see cref="Errno.Last"/> when open(2) fails.
    /// </summary>
    public static FileDescriptor? TryOpen(string path, int flags)
    {
        int fd = Libc.Open(path, flags);
        return fd < 0 ? null : new FileDescriptor(fd);
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle() => Libc.Close((int)handle) == 0;
}
