using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace SharpVmm.Sys;

/// <summary>
/// A whole file mapped read-only (<c>mmap</c> with <c>PROT_READ</c>, <c>MAP_PRIVATE</c>, <c>MAP_POPULATE</c>), as a <see cref="Memory{T}"/>:
/// a kernel image is read where the page cache holds it, instead of being read into a managed array first. An empty file maps to empty memory.
/// </summary>
/// <remarks>The memory is valid until <see cref="IDisposable.Dispose"/>; a file that another process truncates meanwhile
/// makes access past its new end fault (SIGBUS), as with any file mapping.</remarks>
public sealed class MappedFile : MemoryManager<byte>
{
    private nint _address;
    private readonly int _length;

    private MappedFile(nint address, int length)
    {
        _address = address;
        _length = length;
    }

    /// <summary>Maps <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IOException">The file cannot be opened or mapped, or is 2 GiB or larger.</exception>
    /// <exception cref="UnauthorizedAccessException">Reading the file is not allowed.</exception>
    public static MappedFile Open(string path)
    {
        using SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        long length = RandomAccess.GetLength(file);
        if (length >= int.MaxValue)
        {
            throw new IOException($"{path}: {length} bytes is too large to map as one image");
        }

        if (length == 0)
        {
            return new MappedFile(0, 0);
        }

        // The mapping keeps the file's pages; the descriptor can be closed at once (mmap(2)). MAP_POPULATE fills the
        // page tables from the page cache in one call: a loader copies nearly all of a kernel or an initrd, and one
        // fault per 4 KiB page costs more than the pages it would leave unmapped.
        nint address = Mman.Mmap(0, (nuint)length, Mman.PROT_READ, Mman.MAP_PRIVATE | Mman.MAP_POPULATE, (int)file.DangerousGetHandle(), 0);
        if (address == Mman.MAP_FAILED)
        {
            throw new IOException($"{path}: mmap failed: {Errno.Message(Errno.Last())}");
        }

        return new MappedFile(address, (int)length);
    }

    /// <summary>The file's length in bytes.</summary>
    public int Length => _length;

    /// <inheritdoc />
    public override unsafe Span<byte> GetSpan()
    {
        ObjectDisposedException.ThrowIf(_address == 0 && _length != 0, this);
        // SAFETY: _address maps _length readable bytes until Dispose unmaps them; callers only read (the mapping is
        // PROT_READ, so a write faults instead of corrupting anything).
        return _length == 0 ? [] : new Span<byte>((void*)_address, _length);
    }

    /// <inheritdoc />
    public override unsafe MemoryHandle Pin(int elementIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, _length);
        // SAFETY: the mapping never moves; elementIndex is within it (checked above).
        return new MemoryHandle((byte*)_address + elementIndex);
    }

    /// <inheritdoc />
    public override void Unpin()
    {
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        nint address = Interlocked.Exchange(ref _address, 0);
        if (address != 0)
        {
            _ = Mman.Munmap(address, (nuint)_length);
        }
    }
}
