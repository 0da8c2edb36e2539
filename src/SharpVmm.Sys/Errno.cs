using System.Runtime.InteropServices;

namespace SharpVmm.Sys;

/// <summary>
/// The Linux error numbers SharpVmm tests for (x86-64 values, <c>&lt;asm-generic/errno-base.h&gt;</c> and
/// <c>errno.h</c>), and how to read and describe the one the last libc call left.
/// </summary>
public static class Errno
{
#pragma warning disable CS1591 // names follow errno.h
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int ESRCH = 3;
    public const int EINTR = 4;
    public const int ENXIO = 6;
    public const int E2BIG = 7;
    public const int EAGAIN = 11;
    public const int EACCES = 13;
    public const int EBUSY = 16;
    public const int EEXIST = 17;
    public const int ENODEV = 19;
    public const int EINVAL = 22;
    public const int ENOLCK = 37;
    public const int EOPNOTSUPP = 95;
#pragma warning restore CS1591

    /// <summary>The errno the calling thread's last libc call (one of <see cref="Libc"/>'s) set.</summary>
    public static int Last() => Marshal.GetLastPInvokeError();

    /// <summary>The C library's text for <paramref name="errno"/> (strerror), e.g. "No such file or directory".</summary>
    public static string Message(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
