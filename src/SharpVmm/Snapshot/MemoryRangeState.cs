namespace SharpVmm.Snapshot;

/// <summary>One block of guest RAM in a snapshot: it lies at this offset of the memory file too, the blocks one after another.</summary>
public sealed record MemoryRangeState
{
    /// <summary>Guest-physical start.</summary>
    public ulong Start { get; set; }

    /// <summary>Size in bytes.</summary>
    public ulong Size { get; set; }
}
