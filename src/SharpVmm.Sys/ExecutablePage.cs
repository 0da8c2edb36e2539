namespace SharpVmm.Sys;

/// <summary>
/// A page of hand-assembled machine code: mapped writable, filled, then made read-only and executable (never writable
/// and executable at once), and never freed. No JIT and no dynamic code, so it is Native AOT clean.
/// </summary>
public static unsafe class ExecutablePage
{
    /// <summary>Maps a page holding <paramref name="code"/> and returns its address, to call through a function pointer.</summary>
    /// <exception cref="ArgumentException">The code does not fit in a page.</exception>
    /// <exception cref="SystemCallException">mmap or mprotect failed (<see cref="SystemCallException.Operation"/> says which).</exception>
    public static nint Create(ReadOnlySpan<byte> code)
    {
        if ((nuint)code.Length > Mman.PageSize)
        {
            throw new ArgumentException($"{code.Length} bytes of code do not fit in a page", nameof(code));
        }

        nint page = Mman.MapAnonymous(Mman.PageSize);

        // SAFETY: page is a fresh, writable, private mapping of PageSize bytes, and the code fits in it (checked above).
        code.CopyTo(new Span<byte>((void*)page, (int)Mman.PageSize));
        if (Mman.Mprotect(page, Mman.PageSize, Mman.PROT_READ | Mman.PROT_EXEC) != 0)
        {
            int errno = Errno.Last();
            _ = Mman.Munmap(page, Mman.PageSize);
            throw new SystemCallException("mprotect", errno);
        }

        return page;
    }
}
