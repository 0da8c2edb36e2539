using System.Runtime.InteropServices;

namespace SharpVmm.Sys;

/// <summary>
/// The Linux error numbers SharpVmm tests for (x86-64 values, <c>&lt;asm-generic/errno-base.h&gt;</c> and
/// <c>errno.h</c>), and how to read and describe the one the last libc call left.
/// </summary>
public static class Errno
{
    /// <summary>Operation not permitted.</summary>
    public const int EPERM = 1;
    /// <summary>No such file or directory.</summary>
    public const int ENOENT = 2;
    /// <summary>No such process.</summary>
    public const int ESRCH = 3;
    /// <summary>Interrupted by a signal.</summary>
    public const int EINTR = 4;
    /// <summary>No such device or address.</summary>
    public const int ENXIO = 6;
    /// <summary>Argument list too long (KVM: too many entries for the buffer given).</summary>
    public const int E2BIG = 7;
    /// <summary>Try again: the call would block.</summary>
    public const int EAGAIN = 11;
    /// <summary>Permission denied.</summary>
    public const int EACCES = 13;
    /// <summary>Device or resource busy.</summary>
    public const int EBUSY = 16;
    /// <summary>File exists (KVM: already created).</summary>
    public const int EEXIST = 17;
    /// <summary>No such device.</summary>
    public const int ENODEV = 19;
    /// <summary>Invalid argument.</summary>
    public const int EINVAL = 22;
    /// <summary>No locks available.</summary>
    public const int ENOLCK = 37;
    /// <summary>Operation not supported.</summary>
    public const int EOPNOTSUPP = 95;

    /// <summary>The errno the calling thread's last libc call (one of <see cref="Libc"/>'s) set.</summary>
    public static int Last() => Marshal.GetLastPInvokeError();

    /// <summary>The C library's text for <paramref name="errno"/> (strerror), e.g. "No such file or directory".</summary>
    public static string Message(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
