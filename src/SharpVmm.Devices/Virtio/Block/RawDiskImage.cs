using Microsoft.Win32.SafeHandles;
using SharpVmm.Sys;

namespace SharpVmm.Devices.Virtio.Block;

/// <summary>
/// A raw disk image file: positional reads and writes (pread/pwrite through <see cref="RandomAccess"/>), fdatasync,
/// and hole punching / zeroing with fallocate where the file system allows it. Thread-safe (no shared file position).
/// The image is locked with open-file-description locks (<c>fcntl(F_OFD_SETLK)</c>) in QEMU's own scheme, a byte per
/// permission (<see cref="ImageLock"/>): a second writer, or a writer beside readers, is refused, whether it is SharpVmm
/// or QEMU, and readers of either share the image. The locks go with the descriptor when the image is disposed or the
/// process ends, however it ends.
/// </summary>
public sealed class RawDiskImage : IDisposable
{
    private const int ZeroChunk = 64 * 1024;
    private readonly SafeFileHandle _handle;

    /// <summary>Opens <paramref name="path"/> read-write, or read-only when <paramref name="readOnly"/>.</summary>
    /// <exception cref="DiskImageException">The file is missing, unreadable, not writable when it must be, or locked by
    /// another process (another VMM has it open for writing, or, for a writable image, open at all).</exception>
    public RawDiskImage(string path, bool readOnly = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        Path = path;
        ReadOnly = readOnly;
        try
        {
            _handle = File.OpenHandle(path, FileMode.Open, readOnly ? FileAccess.Read : FileAccess.ReadWrite, FileShare.Read);
            Length = RandomAccess.GetLength(_handle);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DiskImageException(path, e.Message, e);
        }

        if (ImageLock.Take(_handle, readOnly) is { } problem)
        {
            _handle.Dispose();
            throw new DiskImageException(path, problem);
        }
    }

    /// <summary>The image file.</summary>
    public string Path { get; }

    /// <summary>
    /// Opens this image's file again, in the same mode (a new descriptor, which sees the file's size now), and hands
    /// this image's lock over to it, so a process can replace a disk by itself. The lock is released before the new
    /// descriptor takes it; should that fail (another process took it meanwhile), this image takes it back.
    /// </summary>
    /// <exception cref="DiskImageException">The file cannot be opened again, or another process holds it now.</exception>
    public RawDiskImage Reopen()
    {
        ImageLock.Release(_handle);
        try
        {
            return new RawDiskImage(Path, ReadOnly);
        }
        catch (DiskImageException)
        {
            _ = ImageLock.Take(_handle, ReadOnly);
            throw;
        }
    }

    /// <summary>Whether the image was opened read-only.</summary>
    public bool ReadOnly { get; }

    /// <summary>The file's size in bytes when it was opened.</summary>
    public long Length { get; }

    /// <summary>Reads at <paramref name="offset"/>; bytes past the end of the file read as zeros.</summary>
    /// <exception cref="IOException">The host read failed.</exception>
    public void Read(long offset, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            int n = RandomAccess.Read(_handle, destination, offset);
            if (n == 0)
            {
                destination.Clear();
                return;
            }

            destination = destination[n..];
            offset += n;
        }
    }

    /// <summary>Writes <paramref name="source"/> at <paramref name="offset"/>.</summary>
    /// <exception cref="IOException">The host write failed.</exception>
    public void Write(long offset, ReadOnlySpan<byte> source) => RandomAccess.Write(_handle, source, offset);

    /// <summary>fdatasync(2): the written data reaches stable storage.</summary>
    /// <exception cref="IOException">fdatasync failed.</exception>
    public void Flush()
    {
        if (Libc.FDataSync(_handle) != 0)
        {
            throw LastError("fdatasync");
        }
    }

    /// <summary>Deallocates a range (fallocate PUNCH_HOLE); false when the file system cannot, which is fine for a hint.</summary>
    /// <exception cref="IOException">fallocate failed for another reason.</exception>
    public bool Discard(long offset, long length)
    {
        if (Libc.FAllocate(_handle, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, offset, length) == 0)
        {
            return true;
        }

        int errno = Errno.Last();
        return errno == Errno.EOPNOTSUPP ? false : throw Error("fallocate(PUNCH_HOLE)", errno);
    }

    /// <summary>
    /// Makes a range read as zeros: punches a hole when <paramref name="unmap"/> is allowed, else ZERO_RANGE; writes
    /// zeros when the file system refuses both.
    /// </summary>
    /// <exception cref="IOException">The host could not zero the range.</exception>
    public void WriteZeroes(long offset, long length, bool unmap)
    {
        int mode = (unmap ? Libc.FALLOC_FL_PUNCH_HOLE : Libc.FALLOC_FL_ZERO_RANGE) | Libc.FALLOC_FL_KEEP_SIZE;
        if (Libc.FAllocate(_handle, mode, offset, length) == 0)
        {
            return;
        }

        byte[] zeros = new byte[(int)Math.Min(length, ZeroChunk)];
        while (length > 0)
        {
            int n = (int)Math.Min(length, zeros.Length);
            Write(offset, zeros.AsSpan(0, n));
            offset += n;
            length -= n;
        }
    }

    private static IOException LastError(string call) => Error(call, Errno.Last());

    private static IOException Error(string call, int errno) => new($"{call} failed: {Errno.Message(errno)}");

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();
}
