namespace SharpVmm.Sys;

/// <summary>A system call failed. <see cref="Operation"/> names it, <see cref="Errno"/> says why.</summary>
public sealed class SystemCallException : IOException
{
    /// <summary>Creates an exception for <paramref name="operation"/> failing with <paramref name="errno"/>.</summary>
    public SystemCallException(string operation, int errno)
        : base($"{operation} failed: {Sys.Errno.Message(errno)} (errno {errno})", errno)
    {
        Operation = operation;
        Errno = errno;
    }

    /// <summary>The system call that failed, e.g. <c>eventfd2</c>.</summary>
    public string Operation { get; }

    /// <summary>The Linux error number.</summary>
    public int Errno { get; }

    /// <summary>An exception for <paramref name="operation"/> with the errno the last libc call set.</summary>
    public static SystemCallException FromLastError(string operation) => new(operation, Sys.Errno.Last());
}
