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
        var map = new List<E820Entry>();
        foreach (GuestMemoryRegion region in memory.Regions)
        {
            ulong start = region.Start.Value;
            ulong end = region.Start.Value + region.Size;
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
