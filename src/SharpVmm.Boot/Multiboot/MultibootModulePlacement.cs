using SharpVmm.Boot.MemoryMap;
using SharpVmm.Memory;

namespace SharpVmm.Boot.Multiboot;

/// <summary>Chooses where Multiboot modules go: page aligned, as low as possible above a floor, in RAM, clear of what is already placed.</summary>
internal static class MultibootModulePlacement
{
    private const ulong PageSize = 4096;

    /// <summary>
    /// The lowest page-aligned address <c>a &gt;= lowest</c> with <c>[a, a + size)</c> inside one RAM entry of
    /// <paramref name="map"/> and one region of guest memory, <c>a + size &lt;= limit</c>, and clear of every range in
    /// <paramref name="busy"/>; <c>null</c> when there is none.
    /// </summary>
    public static ulong? FindLowest(GuestMemory memory, IReadOnlyList<E820Entry> map, ulong size, ulong lowest, ulong limit,
        IReadOnlyList<(ulong Start, ulong End)> busy)
    {
        foreach (E820Entry entry in map.Where(e => e.Type == E820Type.Ram).OrderBy(e => e.Address))
        {
            ulong top = Math.Min(entry.End, limit);
            ulong candidate = AlignUp(Math.Max(entry.Address, lowest));
            while (candidate < top && size <= top - candidate)
            {
                ulong end = candidate + Math.Max(size, 1);
                ulong blockedUntil = 0;
                foreach ((ulong start, ulong stop) in busy)
                {
                    if (start < end && candidate < stop)
                    {
                        blockedUntil = Math.Max(blockedUntil, stop);
                    }
                }

                if (blockedUntil != 0)
                {
                    candidate = AlignUp(blockedUntil);
                    continue;
                }

                if (memory.Contains(new GuestAddress(candidate), Math.Max(size, 1)))
                {
                    return candidate;
                }

                break;
            }
        }

        return null;
    }

    private static ulong AlignUp(ulong value) => value > ulong.MaxValue - (PageSize - 1) ? ulong.MaxValue & ~(PageSize - 1) : (value + PageSize - 1) & ~(PageSize - 1);
}
