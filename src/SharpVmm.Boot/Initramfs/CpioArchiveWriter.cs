using System.Globalization;
using System.Text;

namespace SharpVmm.Boot.Initramfs;

/// <summary>
/// Writes a cpio archive in the "newc" (SVR4, no CRC) format the Linux initramfs unpacker reads
/// (Documentation/driver-api/early-userspace/buffer-format.rst): per entry a 110-byte ASCII header (magic 070701 and
/// thirteen 8-digit hex fields), the NUL-terminated name padded to 4 bytes, then the data padded to 4 bytes; a
/// "TRAILER!!!" entry ends the archive. Inode numbers are assigned in order; mtime defaults to 0 so output is reproducible.
/// </summary>
public sealed class CpioArchiveWriter : IDisposable
{
    /// <summary>The "newc" magic.</summary>
    public const string Magic = "070701";

    /// <summary>Name of the entry that ends an archive.</summary>
    public const string TrailerName = "TRAILER!!!";

    private const int HeaderSize = 110;
    private const uint TypeDirectory = 0x4000;   // S_IFDIR  0040000
    private const uint TypeCharDevice = 0x2000;  // S_IFCHR  0020000
    private const uint TypeRegular = 0x8000;     // S_IFREG  0100000
    private const uint TypeSymlink = 0xA000;     // S_IFLNK  0120000
    private const uint PermissionMask = 0xFFF;   // 07777

    private readonly Stream _output;
    private readonly bool _leaveOpen;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private uint _nextInode = 1;
    private long _written;
    private bool _finished;

    /// <summary>Writes to <paramref name="output"/>; disposing this writer disposes it unless <paramref name="leaveOpen"/>.</summary>
    public CpioArchiveWriter(Stream output, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
        _leaveOpen = leaveOpen;
    }

    /// <summary>Modification time recorded for entries added from now on (default: the Unix epoch, 0).</summary>
    public DateTimeOffset ModificationTime { get; set; } = DateTimeOffset.UnixEpoch;

    /// <summary>Owner user id recorded for entries added from now on (default 0, root).</summary>
    public uint UserId { get; set; }

    /// <summary>Owner group id recorded for entries added from now on (default 0, root).</summary>
    public uint GroupId { get; set; }

    /// <summary>Adds a directory (parents are not created implicitly: add them first).</summary>
    /// <param name="path">Path inside the archive; a leading '/' is dropped.</param>
    /// <param name="permissions">Permission bits; default 0755.</param>
    public void AddDirectory(string path, UnixFileMode permissions =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute)
    {
        WriteEntry(path, TypeDirectory | CheckPermissions(permissions), 2, 0, 0, []);
    }

    /// <summary>Adds a regular file.</summary>
    /// <param name="path">Path inside the archive; a leading '/' is dropped.</param>
    /// <param name="data">The file's contents.</param>
    /// <param name="permissions">Permission bits; default 0644 (give 0755 for /init).</param>
    public void AddFile(string path, ReadOnlySpan<byte> data, UnixFileMode permissions =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead)
    {
        WriteEntry(path, TypeRegular | CheckPermissions(permissions), 1, 0, 0, data);
    }

    /// <summary>Adds a symbolic link to <paramref name="target"/> (the link's data is the target path).</summary>
    public void AddSymlink(string path, string target)
    {
        ArgumentException.ThrowIfNullOrEmpty(target);
        WriteEntry(path, TypeSymlink | 0x1FF, 1, 0, 0, Encoding.UTF8.GetBytes(target));
    }

    /// <summary>Adds a character device node, e.g. /dev/console as 5, 1.</summary>
    /// <param name="path">Path inside the archive; a leading '/' is dropped.</param>
    /// <param name="major">Device major number.</param>
    /// <param name="minor">Device minor number.</param>
    /// <param name="permissions">Permission bits; default 0600.</param>
    public void AddCharacterDevice(string path, uint major, uint minor, UnixFileMode permissions = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        WriteEntry(path, TypeCharDevice | CheckPermissions(permissions), 1, major, minor, []);
    }

    /// <summary>Writes the trailer entry and flushes. Nothing can be added afterwards; calling it again does nothing.</summary>
    public void Finish()
    {
        if (_finished)
        {
            return;
        }

        WriteRecord(TrailerName, 0, 0, 1, 0, 0, 0, []);
        _finished = true;
        _output.Flush();
    }

    /// <summary>Finishes the archive if that has not been done, then releases the stream unless told to leave it open.</summary>
    public void Dispose()
    {
        try
        {
            Finish();
        }
        finally
        {
            if (!_leaveOpen)
            {
                _output.Dispose();
            }
        }
    }

    private void WriteEntry(string path, uint mode, uint links, uint rdevMajor, uint rdevMinor, ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        ArgumentNullException.ThrowIfNull(path);
        string name = path.TrimStart('/');
        if (name.Length == 0 || name.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{path}' is not a valid archive path", nameof(path));
        }

        if (!_names.Add(name))
        {
            throw new ArgumentException($"'{name}' is already in the archive", nameof(path));
        }

        long seconds = ModificationTime.ToUnixTimeSeconds();
        uint mtime = seconds is < 0 or > uint.MaxValue
            ? throw new InvalidOperationException($"modification time {ModificationTime:O} does not fit a 32-bit cpio field")
            : (uint)seconds;
        WriteRecord(name, _nextInode++, mode, links, mtime, rdevMajor, rdevMinor, data);
    }

    private void WriteRecord(string name, uint inode, uint mode, uint links, uint mtime, uint rdevMajor, uint rdevMinor, ReadOnlySpan<byte> data)
    {
        byte[] nameBytes = Encoding.UTF8.GetBytes(name + "\0");
        var header = new StringBuilder(HeaderSize, HeaderSize).Append(Magic);
        uint[] fields = [inode, mode, UserId, GroupId, links, mtime, (uint)data.Length, 0, 0, rdevMajor, rdevMinor, (uint)nameBytes.Length, 0];
        foreach (uint field in fields)
        {
            header.Append(field.ToString("x8", CultureInfo.InvariantCulture));
        }

        Write(Encoding.ASCII.GetBytes(header.ToString()));
        Write(nameBytes);
        Pad();
        Write(data);
        Pad();
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        _output.Write(bytes);
        _written += bytes.Length;
    }

    private void Pad()
    {
        int padding = (int)((4 - (_written % 4)) % 4);
        Write(stackalloc byte[padding]);
    }

    private static uint CheckPermissions(UnixFileMode permissions) =>
        ((uint)permissions & ~PermissionMask) != 0
            ? throw new ArgumentOutOfRangeException(nameof(permissions), permissions, "only permission bits (07777) may be given")
            : (uint)permissions;
}
