namespace SharpVmm.Memory;

/// <summary>One block of guest RAM in a <see cref="GuestRamLayout"/>: guest-physical [<see cref="Start"/>, <see cref="End"/>).</summary>
/// <param name="Start">Guest-physical start, 4 KiB aligned.</param>
/// <param name="Size">Bytes, a non-zero multiple of 4 KiB.</param>
public readonly record struct GuestRamRange(GuestAddress Start, ulong Size)
{
    /// <summary>The first guest-physical address after the block.</summary>
    public ulong End => Start.Value + Size;

    /// <summary>True when [<paramref name="start"/>, +<paramref name="length"/>) shares at least one byte with the block.</summary>
    public bool Overlaps(ulong start, ulong length) =>
        length > 0 && start < End && (start + length < start || start + length > Start.Value);
}
