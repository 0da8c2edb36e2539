using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace SharpVmm.Devices.Virtio.Block;

/// <summary>
/// The libc calls <see cref="RawDiskImage"/> needs that .NET does not wrap. <c>DllImport</c> with a SafeHandle and
/// 64-bit integers: no unsafe code, and the runtime keeps the handle alive for the call.
/// </summary>
internal static class DiskInterop
{
    /// <summary>FALLOC_FL_KEEP_SIZE (linux/falloc.h): do not change the file size.</summary>
    public const int FALLOC_FL_KEEP_SIZE = 0x01;

    /// <summary>FALLOC_FL_PUNCH_HOLE: deallocate the range (it then reads as zeros); needs KEEP_SIZE.</summary>
    public const int FALLOC_FL_PUNCH_HOLE = 0x02;

    /// <summary>FALLOC_FL_ZERO_RANGE: make the range read as zeros, keeping it allocated.</summary>
    public const int FALLOC_FL_ZERO_RANGE = 0x10;

    /// <summary>EOPNOTSUPP: the file system does not support the operation.</summary>
    public const int EOPNOTSUPP = 95;

    private const string Lib = "libc";

    [DllImport(Lib, EntryPoint = "fdatasync", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int FDataSync(SafeFileHandle fd);

    [DllImport(Lib, EntryPoint = "fallocate", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int FAllocate(SafeFileHandle fd, int mode, long offset, long length);
}
