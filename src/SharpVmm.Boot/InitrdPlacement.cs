using SharpVmm.Boot.MemoryMap;
using SharpVmm.Memory;

namespace SharpVmm.Boot;

/// <summary>Chooses where an initial ramdisk goes: page aligned, as high as possible, inside one RAM range of the map.</summary>
internal static class InitrdPlacement
{
    private const ulong PageSize = 4096;

    /// <summary>
    /// The highest page-aligned address <c>a</c> with <c>[a, a + size)</c> inside one RAM entry of <paramref name="map"/> and
    /// inside guest memory, <c>a &gt;= lowest</c> and <c>a + size &lt;= limit</c>; <c>null</c> when there is none.
    /// </summary>
    public static GuestAddress? FindHighest(GuestMemory memory, IReadOnlyList<E820Entry> map, ulong size, ulong lowest, ulong limit)
    {
        GuestAddress? best = null;
        foreach (E820Entry entry in map)
        {
            if (entry.Type != E820Type.Ram)
            {
                continue;
            }

            ulong top = Math.Min(entry.End, limit);
            ulong bottom = Math.Max(entry.Address, lowest);
            if (top < size || top - size < bottom)
            {
                continue;
            }

            ulong candidate = (top - size) & ~(PageSize - 1);
            if (candidate < bottom || !memory.Contains(new GuestAddress(candidate), size))
            {
                continue;
            }

            if (best is null || candidate > best.Value.Value)
            {
                best = new GuestAddress(candidate);
            }
        }

        return best;
    }
}
