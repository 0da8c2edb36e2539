using SharpVmm.Sys;

namespace SharpVmm.Memory;

/// <summary>
/// One contiguous range of guest-physical memory backed by a private host mapping (<c>MAP_NORESERVE</c>: host pages
/// are committed only when touched): anonymous, or of a snapshot's memory file (<see cref="MapFile"/>: copy-on-write,
/// read lazily). It can record which pages the VMM itself hands out for writing (<see cref="StartWriteTracking"/>),
/// the half of a diff snapshot that KVM's dirty log does not see.
/// </summary>
public sealed unsafe class GuestMemoryRegion : IDisposable
{
    /// <summary>Host page size the regions are aligned to.</summary>
    public const ulong PageSize = 4096;

    private nint _host;
    private ulong[]? _written; // one bit per page handed out by SpanAt while tracking

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

    private GuestMemoryRegion(GuestAddress start, ulong size, nint host)
    {
        _host = host;
        Start = start;
        Size = size;
    }

    /// <summary>
    /// Maps <paramref name="size"/> bytes of <paramref name="file"/> from <paramref name="fileOffset"/> as guest-physical
    /// <paramref name="start"/>, <c>MAP_PRIVATE</c>: the guest's writes go to private copies, never to the file, and
    /// pages are read from the file only when first touched.
    /// </summary>
    /// <exception cref="GuestMemoryException">The mapping failed.</exception>
    public static GuestMemoryRegion MapFile(GuestAddress start, ulong size, Microsoft.Win32.SafeHandles.SafeFileHandle file, long fileOffset)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (size == 0 || size % PageSize != 0 || start.Value % PageSize != 0 || fileOffset % (long)PageSize != 0)
        {
            throw new GuestMemoryException($"a file-backed region at {start} of {size} bytes (file offset {fileOffset}) is not page aligned");
        }

        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            nint host = Mman.Mmap(0, (nuint)size, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_PRIVATE | Mman.MAP_NORESERVE,
                (int)file.DangerousGetHandle(), fileOffset);
            if (host == Mman.MAP_FAILED)
            {
                throw new GuestMemoryException($"cannot map {size} bytes of the memory file at offset {fileOffset}: {Errno.Message(System.Runtime.InteropServices.Marshal.GetLastPInvokeError())}");
            }

            _ = Mman.Madvise(host, (nuint)size, Mman.MADV_DONTDUMP);
            return new GuestMemoryRegion(start, size, host);
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
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
        MarkWrittenIfTracking(offset, (ulong)Math.Max(length, 0));

        // SAFETY: the caller checked offset + length <= Size, and the mapping lives until Dispose.
        return new Span<byte>((byte*)HostAddress + offset, length);
    }

    /// <summary>A span over [<paramref name="offset"/>, +<paramref name="length"/>) read without being recorded (snapshots read all of memory).</summary>
    internal ReadOnlySpan<byte> PeekAt(ulong offset, int length)
    {
        // SAFETY: the callers (GuestMemoryFile) stay inside [0, Size), and the mapping lives until Dispose.
        return new ReadOnlySpan<byte>((byte*)HostAddress + offset, length);
    }

    /// <summary>A writable span over [<paramref name="offset"/>, +<paramref name="length"/>), not recorded (restoring memory before the guest runs).</summary>
    internal Span<byte> PokeAt(ulong offset, int length)
    {
        // SAFETY: the callers (GuestMemoryFile) stay inside [0, Size), and the mapping lives until Dispose.
        return new Span<byte>((byte*)HostAddress + offset, length);
    }

    /// <summary>Whether the pages the VMM hands out are being recorded.</summary>
    public bool IsTrackingWrites => Volatile.Read(ref _written) is not null;

    /// <summary>
    /// From now on, records every page of this region that the VMM reaches through <see cref="GuestMemory"/> (device
    /// models write guest memory only that way: used rings, received frames, disk reads). A page the VMM only read is
    /// recorded too; a diff snapshot then holds a page more than it needs, never one less.
    /// </summary>
    public void StartWriteTracking() =>
        Interlocked.CompareExchange(ref _written, new ulong[(Size / PageSize + 63) / 64], null);

    /// <summary>
    /// The pages recorded since tracking started or since the last call, one bit per page (bit <c>n % 64</c> of word
    /// <c>n / 64</c>), and clears them; null when tracking is off.
    /// </summary>
    public ulong[]? TakeWrittenPages()
    {
        ulong[]? written = Volatile.Read(ref _written);
        if (written is null)
        {
            return null;
        }

        var taken = new ulong[written.Length];
        for (int i = 0; i < written.Length; i++)
        {
            taken[i] = Interlocked.Exchange(ref written[i], 0);
        }

        return taken;
    }

    private static void MarkWritten(ulong[] written, ulong offset, ulong length)
    {
        for (ulong page = offset / PageSize, last = (offset + length - 1) / PageSize; page <= last; page++)
        {
            ulong bit = 1UL << (int)(page % 64);
            if ((Volatile.Read(ref written[page / 64]) & bit) == 0)
            {
                Interlocked.Or(ref written[page / 64], bit);
            }
        }
    }

    /// <summary>
    /// Gives the host pages of [<paramref name="offset"/>, +<paramref name="length"/>) back to the host kernel
    /// (<c>madvise(MADV_DONTNEED)</c>; the mapping is private, anonymous or a copy-on-write file, so the pages read back
    /// as zeros or as the file's contents, and take host memory again only when touched). The caller has checked
    /// bounds and page alignment. False when the kernel refused.
    /// </summary>
    internal bool DiscardAt(ulong offset, ulong length)
    {
        MarkWrittenIfTracking(offset, length); // the contents change under a diff snapshot: record them
        return Mman.Madvise(HostAddress + (nint)offset, (nuint)length, Mman.MADV_DONTNEED) == 0;
    }

    private void MarkWrittenIfTracking(ulong offset, ulong length)
    {
        if (Volatile.Read(ref _written) is { } written && length > 0)
        {
            MarkWritten(written, offset, length);
        }
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
