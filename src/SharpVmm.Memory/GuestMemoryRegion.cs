using SharpVmm.Sys;

namespace SharpVmm.Memory;

/// <summary>
/// One contiguous range of guest-physical memory backed by a private anonymous host mapping
/// (<c>MAP_NORESERVE</c>: host pages are committed only when touched).
/// </summary>
public sealed unsafe class GuestMemoryRegion : IDisposable
{
    /// <summary>Host page size the regions are aligned to.</summary>
    public const ulong PageSize = 4096;

    private nint _host;

    /// <summary>Maps <paramref name="size"/> bytes (a multiple of 4 KiB) for guest-physical <paramref name="start"/>.</summary>
    /// <param name="start">Guest-physical start, 4 KiB aligned.</param>
    /// <param name="size">Size in bytes, a non-zero multiple of 4 KiB.</param>
    /// <param name="transparentHugePages">Advise the kernel to back the region with 2 MiB pages.</param>
    public GuestMemoryRegion(GuestAddress start, ulong size, bool transparentHugePages = false)
    {
        if (size == 0 || size % PageSize != 0)
        {
            throw new GuestMemoryException($"region size {size} is not a non-zero multiple of {PageSize}");
        }

        if (start.Value % PageSize != 0)
        {
            throw new GuestMemoryException($"region start {start} is not {PageSize}-byte aligned");
        }

        if (start.TryAdd(size - 1) is null)
        {
            throw new GuestMemoryException($"region at {start} of {size} bytes runs past the end of the address space");
        }

        nint host;
        try
        {
            host = Mman.MapAnonymous((nuint)size, Mman.MAP_NORESERVE);
        }
        catch (SystemCallException e)
        {
            throw new GuestMemoryException($"cannot map {size} bytes of guest memory: {Errno.Message(e.Errno)}");
        }

        if (transparentHugePages)
        {
            // Advisory only: a kernel without THP leaves the mapping on small pages.
            _ = Mman.Madvise(host, (nuint)size, Mman.MADV_HUGEPAGE);
        }

        _ = Mman.Madvise(host, (nuint)size, Mman.MADV_DONTDUMP);
        _host = host;
        Start = start;
        Size = size;
    }

    /// <summary>Guest-physical start.</summary>
    public GuestAddress Start { get; }

    /// <summary>Size in bytes.</summary>
    public ulong Size { get; }

    /// <summary>Last guest-physical address inside the region (inclusive).</summary>
    public GuestAddress Last => new(Start.Value + Size - 1);

    /// <summary>Host virtual address of the mapping, for <c>KVM_SET_USER_MEMORY_REGION</c>.</summary>
    public nint HostAddress => _host != 0 ? _host : throw new ObjectDisposedException(nameof(GuestMemoryRegion));

    /// <summary>True when [<paramref name="address"/>, +<paramref name="length"/>) lies wholly inside the region.</summary>
    public bool Contains(GuestAddress address, ulong length) =>
        address >= Start && address.Value - Start.Value <= Size && length <= Size - (address.Value - Start.Value);

    /// <summary>
    /// A span over [<paramref name="offset"/>, +<paramref name="length"/>) of this region. The caller has checked bounds.
    /// </summary>
    internal Span<byte> SpanAt(ulong offset, int length)
    {
        // SAFETY: the caller checked offset + length <= Size, and the mapping lives until Dispose.
        return new Span<byte>((byte*)HostAddress + offset, length);
    }

    /// <summary>
    /// Takes away and gives back the host's access to the page at <paramref name="offset"/> (<c>mprotect</c> to none,
    /// then read-write). The contents stay; what changes is that every secondary MMU of this mapping, KVM's included,
    /// drops its translation of the page, so the guest's next access to it faults into KVM. Another host thread that
    /// touches the page in between faults too, so use it only where nothing else does (a test guest asks for it).
    /// </summary>
    internal void CycleProtection(ulong offset)
    {
        nint page = HostAddress + (nint)(offset & ~(PageSize - 1));
        _ = Mman.Mprotect(page, (nuint)PageSize, Mman.PROT_NONE);
        _ = Mman.Mprotect(page, (nuint)PageSize, Mman.PROT_READ | Mman.PROT_WRITE);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        nint host = Interlocked.Exchange(ref _host, 0);
        if (host != 0)
        {
            _ = Mman.Munmap(host, (nuint)Size);
        }
    }
}
