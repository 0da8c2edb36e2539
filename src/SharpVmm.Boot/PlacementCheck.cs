namespace SharpVmm.Boot;

/// <summary>Checks that the ranges a loader is about to write do not overlap one another.</summary>
internal static class PlacementCheck
{
    /// <summary>Throws when two of <paramref name="ranges"/> (what, start, length) overlap; empty ranges are ignored.</summary>
    /// <exception cref="BootImageException">Two ranges overlap.</exception>
    public static void RequireDisjoint(string name, params (string What, ulong Start, ulong Length)[] ranges)
    {
        var sorted = ranges.Where(r => r.Length > 0).OrderBy(r => r.Start).ToArray();
        for (int i = 1; i < sorted.Length; i++)
        {
            (string what, ulong start, ulong length) = sorted[i - 1];
            if (sorted[i].Start - start < length)
            {
                throw new BootImageException(name, BootImageError.Overlap,
                    $"{what} [0x{start:x}, 0x{start + length:x}) overlaps {sorted[i].What} at 0x{sorted[i].Start:x}");
            }
        }
    }
}
