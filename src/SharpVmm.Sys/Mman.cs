using System.Runtime.InteropServices;

namespace SharpVmm.Sys;

/// <summary>
/// The memory-mapping calls of <c>&lt;sys/mman.h&gt;</c>: mmap, munmap, mprotect, madvise. Each returns -1 (mmap:
/// <see cref="MAP_FAILED"/>) and sets errno on failure.
/// </summary>
public static partial class Mman
{
    /// <summary>Pages that cannot be accessed.</summary>
    public const int PROT_NONE = 0x0;
    /// <summary>Pages that can be read.</summary>
    public const int PROT_READ = 0x1;
    /// <summary>Pages that can be written.</summary>
    public const int PROT_WRITE = 0x2;
    /// <summary>Pages that can be executed.</summary>
    public const int PROT_EXEC = 0x4;
    /// <summary>Writes are shared with other mappings of the object.</summary>
    public const int MAP_SHARED = 0x01;
    /// <summary>A copy-on-write mapping of its own.</summary>
    public const int MAP_PRIVATE = 0x02;
    /// <summary>Memory backed by no file, zero-filled.</summary>
    public const int MAP_ANONYMOUS = 0x20;
    /// <summary>Reserve no swap space for the mapping.</summary>
    public const int MAP_NORESERVE = 0x4000;
    /// <summary>Fault the pages in now.</summary>
    public const int MAP_POPULATE = 0x8000;
    /// <summary>Back the mapping with huge pages.</summary>
    public const int MAP_HUGETLB = 0x40000;
    /// <summary>madvise: drop the pages (private anonymous ones then read as zeros).</summary>
    public const int MADV_DONTNEED = 4;
    /// <summary>madvise: back the range with transparent huge pages.</summary>
    public const int MADV_HUGEPAGE = 14;
    /// <summary>madvise: leave the range out of core dumps.</summary>
    public const int MADV_DONTDUMP = 16;
    /// <summary>What mmap returns on failure.</summary>
    public static readonly nint MAP_FAILED = -1;

    /// <summary>The host page size SharpVmm assumes (x86-64).</summary>
    public const nuint PageSize = 4096;

    private const string Lib = "libc";

    /// <summary>mmap(2); returns the address, or <see cref="MAP_FAILED"/>.</summary>
    [LibraryImport(Lib, EntryPoint = "mmap", SetLastError = true)]
    public static partial nint Mmap(nint addr, nuint length, int prot, int flags, int fd, long offset);

    /// <summary>munmap(2).</summary>
    [LibraryImport(Lib, EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(nint addr, nuint length);

    /// <summary>mprotect(2).</summary>
    [LibraryImport(Lib, EntryPoint = "mprotect", SetLastError = true)]
    public static partial int Mprotect(nint addr, nuint length, int prot);

    /// <summary>madvise(2).</summary>
    [LibraryImport(Lib, EntryPoint = "madvise", SetLastError = true)]
    public static partial int Madvise(nint addr, nuint length, int advice);

    /// <summary>Maps <paramref name="length"/> bytes of private anonymous memory, read-write, plus <paramref name="extraFlags"/>.</summary>
    /// <exception cref="SystemCallException">mmap failed.</exception>
    public static nint MapAnonymous(nuint length, int extraFlags = 0)
    {
        nint address = Mmap(0, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | extraFlags, -1, 0);
        return address == MAP_FAILED ? throw SystemCallException.FromLastError("mmap") : address;
    }
}
