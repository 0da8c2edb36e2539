using System.Runtime.InteropServices;

namespace SharpVmm.Sys;

/// <summary>
/// <c>struct flock</c> on x86-64 Linux (<c>&lt;asm-generic/fcntl.h&gt;</c>): 32 bytes, four padding bytes after
/// <c>l_whence</c> and after <c>l_pid</c>. A record lock for <see cref="Libc.Fcntl(System.Runtime.InteropServices.SafeHandle, int, ref Flock)"/>;
/// field names follow the C header.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct Flock
{
    /// <summary>Size of the C struct in bytes.</summary>
    public const int Size = 32;

    /// <summary>The lock's kind: <see cref="Libc.F_RDLCK"/>, <see cref="Libc.F_WRLCK"/> or <see cref="Libc.F_UNLCK"/>.</summary>
    public short l_type;

    /// <summary>What <see cref="l_start"/> counts from (SEEK_SET: the start of the file).</summary>
    public short l_whence;

    /// <summary>The first byte locked.</summary>
    public long l_start;

    /// <summary>How many bytes are locked; 0: to the end of the file, however far it grows.</summary>
    public long l_len;

    /// <summary>The holder's process id (F_GETLK); 0 on the way in, and -1 back from F_OFD_GETLK for an open-file-description lock.</summary>
    public int l_pid;

    /// <summary>A lock of <paramref name="type"/> over the whole file, however far it grows.</summary>
    public static Flock WholeFile(short type) => new() { l_type = type, l_whence = 0, l_start = 0, l_len = 0, l_pid = 0 };
}
