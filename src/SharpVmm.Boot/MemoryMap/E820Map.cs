using SharpVmm.Memory;

namespace SharpVmm.Boot.MemoryMap;

/// <summary>Builds and checks the memory map a loader hands to the guest.</summary>
public static class E820Map
{
    /// <summary>Start of the extended BIOS data area the PC reserves at the top of conventional memory.</summary>
    public const ulong EbdaStart = 0x9_FC00;

    /// <summary>End of conventional memory (start of the VGA hole).</summary>
    public const ulong ConventionalMemoryEnd = 0xA_0000;

    /// <summary>Start of the system BIOS area.</summary>
    public const ulong BiosStart = 0xF_0000;

    /// <summary>1 MiB: where extended memory starts.</summary>
    public const ulong HighMemoryStart = 0x10_0000;

    /// <summary>
    /// The PC map for <paramref name="memory"/>: [0, 0x9fc00) RAM, [0x9fc00, 0xa0000) reserved (EBDA),
    /// [0xf0000, 0x100000) reserved (BIOS), and every byte of guest memory from 1 MiB up as RAM.
    /// Regions that start above 1 MiB (after a hole the VM layer left) become entries of their own.
    /// </summary>
    public static IReadOnlyList<E820Entry> ForGuestMemory(GuestMemory memory)
    {
        ArgumentNullException.ThrowIfNull(memory);
        return ForBlocks(memory.Regions.Select(r => (r.Start.Value, r.Start.Value + r.Size)));
    }

    /// <summary>
    /// The PC map for a guest whose RAM lies as <paramref name="layout"/> says: the low block as in
    /// <see cref="ForGuestMemory"/>, then, for a guest of more than 3 GiB, the RAM from 4 GiB up as one more entry.
    /// The 32-bit device hole between them is in no entry, so the kernel neither uses it as RAM nor reserves it.
    /// </summary>
    public static IReadOnlyList<E820Entry> ForLayout(GuestRamLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return ForBlocks(layout.Ranges.Select(r => (r.Start.Value, r.End)));
    }

    private static List<E820Entry> ForBlocks(IEnumerable<(ulong Start, ulong End)> blocks)
    {
        var map = new List<E820Entry>();
        foreach ((ulong start, ulong end) in blocks)
        {
            if (start < EbdaStart)
            {
                map.Add(new E820Entry(start, Math.Min(end, EbdaStart) - start, E820Type.Ram));
            }

            if (start < ConventionalMemoryEnd && end > EbdaStart)
            {
                ulong from = Math.Max(start, EbdaStart);
                map.Add(new E820Entry(from, Math.Min(end, ConventionalMemoryEnd) - from, E820Type.Reserved));
            }

            if (start < HighMemoryStart && end > BiosStart)
            {
                ulong from = Math.Max(start, BiosStart);
                map.Add(new E820Entry(from, Math.Min(end, HighMemoryStart) - from, E820Type.Reserved));
            }

            if (end > HighMemoryStart)
            {
                ulong from = Math.Max(start, HighMemoryStart);
                map.Add(new E820Entry(from, end - from, E820Type.Ram));
            }
        }

        return map;
    }

    /// <summary>
    /// The RAM blocks of <paramref name="layout"/>, one <see cref="E820Type.Ram"/> entry each, with nothing carved out of
    /// them: what QEMU's fw_cfg file <c>etc/e820</c> lists for firmware, which adds its own reservations.
    /// </summary>
    public static IReadOnlyList<E820Entry> RamBlocks(GuestRamLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return [.. layout.Ranges.Select(r => new E820Entry(r.Start.Value, r.Size, E820Type.Ram))];
    }

    /// <summary>
    /// Encodes <paramref name="map"/> as packed 20-byte entries (<see cref="E820Entry.WriteTo"/>, no padding): the
    /// layout of QEMU's fw_cfg file <c>etc/e820</c> (struct e820_entry) and of the zero page's e820_table.
    /// </summary>
    public static byte[] Encode(IReadOnlyList<E820Entry> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        byte[] bytes = new byte[map.Count * E820Entry.EncodedSize];
        for (int i = 0; i < map.Count; i++)
        {
            map[i].WriteTo(bytes.AsSpan(i * E820Entry.EncodedSize, E820Entry.EncodedSize));
        }

        return bytes;
    }

    /// <summary>Checks that a map has at most <paramref name="maxEntries"/> entries, none empty or wrapping past 2^64.</summary>
    /// <exception cref="ArgumentException">The map cannot be handed to the guest.</exception>
    public static void Validate(IReadOnlyList<E820Entry> map, int maxEntries)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (map.Count > maxEntries)
        {
            throw new ArgumentException($"memory map has {map.Count} entries; at most {maxEntries} fit", nameof(map));
        }

        foreach (E820Entry entry in map)
        {
            if (entry.Size == 0 || entry.Address + entry.Size < entry.Address)
            {
                throw new ArgumentException($"memory map entry at 0x{entry.Address:x} of {entry.Size} bytes is empty or wraps", nameof(map));
            }
        }
    }
}
