using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SharpVmm.Memory;

/// <summary>
/// The guest-physical address space: a sorted set of non-overlapping <see cref="GuestMemoryRegion"/>s.
/// Every access is bounds-checked and overflow-safe; an access that is not wholly inside one region throws
/// <see cref="GuestMemoryException"/> and touches nothing.
/// </summary>
public sealed class GuestMemory : IDisposable
{
    private readonly GuestMemoryRegion[] _regions;

    /// <summary>Takes ownership of <paramref name="regions"/>; they must not overlap.</summary>
    public GuestMemory(IEnumerable<GuestMemoryRegion> regions)
    {
        _regions = [.. regions.OrderBy(r => r.Start.Value)];
        for (int i = 1; i < _regions.Length; i++)
        {
            if (_regions[i].Start <= _regions[i - 1].Last)
            {
                throw new GuestMemoryException($"guest memory regions at {_regions[i - 1].Start} and {_regions[i].Start} overlap");
            }
        }
    }

    /// <summary>Maps one region of <paramref name="size"/> bytes at guest-physical 0.</summary>
    public static GuestMemory CreateFlat(ulong size, bool transparentHugePages = false) =>
        new([new GuestMemoryRegion(new GuestAddress(0), size, transparentHugePages)]);

    /// <summary>Records the pages the VMM reaches in every region from now on (<see cref="GuestMemoryRegion.StartWriteTracking"/>).</summary>
    public void StartWriteTracking()
    {
        foreach (GuestMemoryRegion region in _regions)
        {
            region.StartWriteTracking();
        }
    }

    /// <summary>The regions, sorted by address.</summary>
    public IReadOnlyList<GuestMemoryRegion> Regions => _regions;

    /// <summary>Total bytes of guest memory.</summary>
    public ulong TotalSize => _regions.Aggregate(0UL, (sum, r) => sum + r.Size);

    /// <summary>True when [<paramref name="address"/>, +<paramref name="length"/>) lies wholly inside one region.</summary>
    public bool Contains(GuestAddress address, ulong length) => FindRegion(address, length) is not null;

    /// <summary>Returns a span over guest memory [<paramref name="address"/>, +<paramref name="length"/>).</summary>
    /// <exception cref="GuestMemoryException">The range is not wholly inside one region.</exception>
    public Span<byte> GetSpan(GuestAddress address, int length)
    {
        if (length < 0)
        {
            throw new GuestMemoryException(address, 0, $"negative length {length}");
        }

        GuestMemoryRegion region = FindRegion(address, (ulong)length)
            ?? throw new GuestMemoryException(address, (ulong)length, Describe(address, (ulong)length));
        return region.SpanAt(address.Value - region.Start.Value, length);
    }

    /// <summary>Reads a value of an unmanaged type (little-endian, as the guest stores it).</summary>
    public T Read<T>(GuestAddress address) where T : unmanaged =>
        MemoryMarshal.Read<T>(GetSpan(address, Unsafe.SizeOf<T>()));

    /// <summary>Writes a value of an unmanaged type.</summary>
    public void Write<T>(GuestAddress address, T value) where T : unmanaged =>
        MemoryMarshal.Write(GetSpan(address, Unsafe.SizeOf<T>()), in value);

    /// <summary>Copies guest memory into <paramref name="destination"/>.</summary>
    public void Read(GuestAddress address, Span<byte> destination) => GetSpan(address, destination.Length).CopyTo(destination);

    /// <summary>Copies <paramref name="source"/> into guest memory.</summary>
    public void Write(GuestAddress address, ReadOnlySpan<byte> source) => source.CopyTo(GetSpan(address, source.Length));

    /// <summary>
    /// Makes KVM (and any other secondary MMU) forget its mapping of the 4 KiB page holding <paramref name="address"/>,
    /// leaving the contents as they are, as QEMU's pc-testdev page flush does. Returns false, doing nothing, when the
    /// address is not guest RAM. Another host thread touching the page at that moment would fault: test devices only.
    /// </summary>
    public bool FlushSecondaryMappings(GuestAddress address)
    {
        GuestMemoryRegion? region = FindRegion(address, 1);
        if (region is null)
        {
            return false;
        }

        region.CycleProtection(address.Value - region.Start.Value);
        return true;
    }

    /// <summary>
    /// Returns the host memory behind the whole 4 KiB pages of [<paramref name="address"/>, +<paramref name="length"/>)
    /// to the host (a balloon's inflated pages): the guest reads them back as zeros (or, for memory mapped from a
    /// snapshot file, as the file's contents) and they take host memory again only when touched. Returns false, doing
    /// nothing, when the range is not page aligned or not wholly inside one region, or when the host refused.
    /// </summary>
    public bool Discard(GuestAddress address, ulong length)
    {
        if (length == 0 || address.Value % GuestMemoryRegion.PageSize != 0 || length % GuestMemoryRegion.PageSize != 0)
        {
            return false;
        }

        GuestMemoryRegion? region = FindRegion(address, length);
        return region is not null && region.DiscardAt(address.Value - region.Start.Value, length);
    }

    /// <summary>
    /// Atomically (with respect to vCPUs running on this memory, as the CPU's <c>lock cmpxchg16b</c>) compares the 16
    /// bytes at <paramref name="address"/> with <paramref name="expected"/>; when equal, stores <paramref name="desired"/>
    /// and returns true, else loads the bytes found into <paramref name="expected"/> and returns false.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="address"/> is not 16-byte aligned.</exception>
    /// <exception cref="GuestMemoryException">The 16 bytes are not wholly inside one region.</exception>
    public bool CompareExchange128(GuestAddress address, ref UInt128 expected, UInt128 desired)
    {
        if ((address.Value & 15) != 0)
        {
            throw new ArgumentException($"{address} is not 16-byte aligned", nameof(address));
        }

        // Regions are page aligned, so the host address is 16-byte aligned exactly when the guest address is.
        return HostCompareExchange128.CompareExchange(GetSpan(address, 16), ref expected, desired);
    }

    private GuestMemoryRegion? FindRegion(GuestAddress address, ulong length)
    {
        int lo = 0, hi = _regions.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            GuestMemoryRegion region = _regions[mid];
            if (address < region.Start)
            {
                hi = mid - 1;
            }
            else if (address > region.Last)
            {
                lo = mid + 1;
            }
            else
            {
                return region.Contains(address, length) ? region : null;
            }
        }

        return null;
    }

    private string Describe(GuestAddress address, ulong length)
    {
        if (address.TryAdd(length) is null)
        {
            return "address arithmetic overflows 64 bits";
        }

        return _regions.Any(r => address >= r.Start && address <= r.Last)
            ? "the range runs past the end of its memory region"
            : "the address is not backed by guest memory";
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (GuestMemoryRegion region in _regions)
        {
            region.Dispose();
        }
    }
}
