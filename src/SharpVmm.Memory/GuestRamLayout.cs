namespace SharpVmm.Memory;

/// <summary>
/// Where a guest's RAM lies in its physical address space, as on a PC (and as QEMU's <c>pc</c> machine and Firecracker
/// lay it out): from address 0 up to at most <see cref="HoleStart"/>, and whatever is left from <see cref="HighRamStart"/>
/// (4 GiB) up. Between them is the 32-bit device hole: the PCI memory window at 0xC0000000, the virtio-mmio windows at
/// 0xD0000000, the IOAPIC at 0xFEC00000, the local APICs at 0xFEE00000 and KVM's TSS and identity-map pages below 4 GiB.
/// </summary>
/// <remarks>
/// This is the one description of the layout: the VM builder makes its memory slots from <see cref="Ranges"/>, the boot
/// loaders' memory maps (e820, PVH, Multiboot) and the firmware interfaces (CMOS, fw_cfg) are written from it.
/// </remarks>
public sealed class GuestRamLayout
{
    /// <summary>First address of the 32-bit device hole, where RAM below 4 GiB stops (3 GiB).</summary>
    public const ulong HoleStart = 0xC000_0000;

    /// <summary>Where RAM that does not fit below the hole continues: 4 GiB.</summary>
    public const ulong HighRamStart = 0x1_0000_0000;

    /// <summary>The most RAM a guest may have: 1 TiB (the top of RAM is then 1 TiB + 1 GiB, 41 address bits).</summary>
    public const ulong MaxSize = 1UL << 40;

    private readonly GuestRamRange[] _ranges;

    private GuestRamLayout(ulong size)
    {
        TotalSize = size;
        BelowHoleSize = Math.Min(size, HoleStart);
        AboveFourGiBSize = size - BelowHoleSize;
        _ranges = AboveFourGiBSize == 0
            ? [new GuestRamRange(new GuestAddress(0), BelowHoleSize)]
            : [new GuestRamRange(new GuestAddress(0), BelowHoleSize), new GuestRamRange(new GuestAddress(HighRamStart), AboveFourGiBSize)];
    }

    /// <summary>
    /// The layout of <paramref name="size"/> bytes of RAM: all of it from 0 when it fits below <see cref="HoleStart"/>,
    /// else 3 GiB from 0 and the rest from 4 GiB.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is 0, not a multiple of 4 KiB, or above <see cref="MaxSize"/>.</exception>
    public static GuestRamLayout ForSize(ulong size)
    {
        if (size == 0 || size % GuestMemoryRegion.PageSize != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "guest memory must be a non-zero multiple of 4 KiB");
        }

        if (size > MaxSize)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "guest memory is at most 1 TiB (RAM from 4 GiB up then ends at 1 TiB + 1 GiB)");
        }

        return new GuestRamLayout(size);
    }

    /// <summary>Bytes of RAM in all.</summary>
    public ulong TotalSize { get; }

    /// <summary>Bytes of RAM from address 0, below the device hole (at most 3 GiB).</summary>
    public ulong BelowHoleSize { get; }

    /// <summary>Bytes of RAM from 4 GiB up (0 for a guest of 3 GiB or less).</summary>
    public ulong AboveFourGiBSize { get; }

    /// <summary>The RAM blocks, lowest first: one, or two when the RAM runs past the hole.</summary>
    public IReadOnlyList<GuestRamRange> Ranges => _ranges;

    /// <summary>The first address after the highest byte of RAM.</summary>
    public ulong End => _ranges[^1].End;

    /// <summary>True when [<paramref name="start"/>, +<paramref name="length"/>) shares a byte with the RAM (a device there would be shadowed).</summary>
    public bool Overlaps(ulong start, ulong length) => _ranges.Any(r => r.Overlaps(start, length));

    /// <summary>Maps host memory for every block (<c>MAP_NORESERVE</c>: untouched pages cost the host nothing).</summary>
    /// <param name="transparentHugePages">Advise the kernel to back the blocks with 2 MiB pages.</param>
    public GuestMemory CreateMemory(bool transparentHugePages = false)
    {
        var regions = new List<GuestMemoryRegion>(_ranges.Length);
        try
        {
            foreach (GuestRamRange range in _ranges)
            {
                regions.Add(new GuestMemoryRegion(range.Start, range.Size, transparentHugePages));
            }

            return new GuestMemory(regions);
        }
        catch
        {
            regions.ForEach(r => r.Dispose());
            throw;
        }
    }

    /// <inheritdoc />
    public override string ToString() =>
        string.Join(", ", _ranges.Select(r => $"RAM 0x{r.Start.Value:x}-0x{r.End - 1:x}"));
}
