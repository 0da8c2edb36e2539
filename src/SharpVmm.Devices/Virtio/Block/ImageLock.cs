using Microsoft.Win32.SafeHandles;
using SharpVmm.Sys;

namespace SharpVmm.Devices.Virtio.Block;

/// <summary>
/// Locks a disk image the way QEMU locks its images (block/file-posix.c), so that SharpVmm and QEMU keep each other
/// from writing an image the other uses, and let each other read it. Each permission is a byte: a holder of permission
/// n takes a shared open-file-description lock on byte 100 + n, and one that does not share permission n with others
/// takes a shared lock on byte 200 + n. An opener takes its locks first and then looks for another's lock on the bytes
/// that conflict with them (200 + n for each permission it wants, 100 + n for each it does not share), so that of two
/// openers at once at least one sees the other.
/// <para>
/// A writer holds consistent read and write and shares neither write nor resize; a reader holds consistent read and
/// shares neither either, as QEMU's block devices do by default. So two readers, SharpVmm's or QEMU's, share an image;
/// a writer is alone.
/// </para>
/// </summary>
internal static class ImageLock
{
    private const long PermissionBase = 100, UnsharedBase = 200;
    private const int ConsistentRead = 0, Write = 1, Resize = 3; // QEMU's BLK_PERM_* bit numbers

    /// <summary>
    /// Takes the image's locks on <paramref name="handle"/>: null once they are held, or when the file system has no
    /// record locks (QEMU goes on without them too); else what is wrong, with every lock given back.
    /// </summary>
    public static string? Take(SafeFileHandle handle, bool readOnly)
    {
        int[] held = readOnly ? [ConsistentRead] : [ConsistentRead, Write];
        int[] unshared = [Write, Resize];
        foreach (long offset in held.Select(p => PermissionBase + p).Concat(unshared.Select(p => UnsharedBase + p)))
        {
            Flock shared = Byte(Libc.F_RDLCK, offset);
            if (Libc.Fcntl(handle, Libc.F_OFD_SETLK, ref shared) != 0)
            {
                int errno = Errno.Last();
                Release(handle);
                return errno is Errno.EAGAIN or Errno.EACCES
                    ? Refusal("holds an exclusive lock on it", readOnly)
                    : errno is Errno.EINVAL or Errno.EOPNOTSUPP or Errno.ENOLCK ? null
                    : $"fcntl(F_OFD_SETLK) failed: {Errno.Message(errno)}";
            }
        }

        // Only another descriptor's locks show here: this one's never conflict with its own query.
        bool otherWrites = HeldByAnother(handle, PermissionBase + Write);
        bool otherResizes = HeldByAnother(handle, PermissionBase + Resize);
        bool otherRefusesWriters = HeldByAnother(handle, UnsharedBase + Write);
        bool otherRefusesReaders = HeldByAnother(handle, UnsharedBase + ConsistentRead);
        string? conflict = otherWrites ? "has it open for writing"
            : otherResizes ? "may resize it"
            : otherRefusesReaders ? "does not share it even with readers"
            : !readOnly && otherRefusesWriters ? "has it open and does not share it with a writer"
            : null;
        if (conflict is null)
        {
            return null;
        }

        Release(handle);
        return Refusal(conflict, readOnly);
    }

    /// <summary>Gives back every lock <paramref name="handle"/> holds on the file.</summary>
    public static void Release(SafeFileHandle handle)
    {
        Flock release = Flock.WholeFile(Libc.F_UNLCK);
        _ = Libc.Fcntl(handle, Libc.F_OFD_SETLK, ref release);
    }

    private static bool HeldByAnother(SafeFileHandle handle, long offset)
    {
        Flock probe = Byte(Libc.F_WRLCK, offset);
        return Libc.Fcntl(handle, Libc.F_OFD_GETLK, ref probe) == 0 && probe.l_type != Libc.F_UNLCK;
    }

    private static Flock Byte(short type, long offset) => new() { l_type = type, l_whence = 0, l_start = offset, l_len = 1 };

    private static string Refusal(string what, bool readOnly) =>
        $"another process {what} (another SharpVmm, or QEMU), so it cannot be opened " +
        (readOnly ? "read-only beside it" : "for writing") + "; stop that process or give this VM another image";
}
