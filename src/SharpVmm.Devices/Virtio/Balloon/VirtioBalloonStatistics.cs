namespace SharpVmm.Devices.Virtio.Balloon;

/// <summary>
/// The balloon's size and the guest's memory statistics as the driver last reported them (virtio 1.2, 5.5.6.3), with
/// Firecracker's names. A statistic the driver has not reported is null.
/// </summary>
public sealed record VirtioBalloonStatistics
{
    /// <summary>The target, in 4 KiB pages.</summary>
    public uint TargetPages { get; init; }

    /// <summary>The pages the driver says the balloon holds.</summary>
    public uint ActualPages { get; init; }

    /// <summary>The target in MiB.</summary>
    public uint TargetMib => TargetPages / VirtioBalloonDevice.PagesPerMib;

    /// <summary>The balloon's size in MiB.</summary>
    public uint ActualMib => ActualPages / VirtioBalloonDevice.PagesPerMib;

    /// <summary>VIRTIO_BALLOON_S_SWAP_IN (0): bytes swapped in.</summary>
    public ulong? SwapIn { get; init; }

    /// <summary>VIRTIO_BALLOON_S_SWAP_OUT (1): bytes swapped out.</summary>
    public ulong? SwapOut { get; init; }

    /// <summary>VIRTIO_BALLOON_S_MAJFLT (2): major page faults.</summary>
    public ulong? MajorFaults { get; init; }

    /// <summary>VIRTIO_BALLOON_S_MINFLT (3): minor page faults.</summary>
    public ulong? MinorFaults { get; init; }

    /// <summary>VIRTIO_BALLOON_S_MEMFREE (4): bytes of unused memory.</summary>
    public ulong? FreeMemory { get; init; }

    /// <summary>VIRTIO_BALLOON_S_MEMTOT (5): bytes of memory the guest has.</summary>
    public ulong? TotalMemory { get; init; }

    /// <summary>VIRTIO_BALLOON_S_AVAIL (6): bytes available for new programs without swapping.</summary>
    public ulong? AvailableMemory { get; init; }

    /// <summary>VIRTIO_BALLOON_S_CACHES (7): bytes of disk caches.</summary>
    public ulong? DiskCaches { get; init; }

    /// <summary>VIRTIO_BALLOON_S_HTLB_PGALLOC (8): successful hugetlb page allocations.</summary>
    public ulong? HugetlbAllocations { get; init; }

    /// <summary>VIRTIO_BALLOON_S_HTLB_PGFAIL (9): failed hugetlb page allocations.</summary>
    public ulong? HugetlbFailures { get; init; }

    /// <summary>VIRTIO_BALLOON_S_OOM_KILL (10): OOM killer invocations.</summary>
    public ulong? OomKill { get; init; }

    /// <summary>VIRTIO_BALLOON_S_ALLOC_STALL (11): allocations that stalled.</summary>
    public ulong? AllocStall { get; init; }

    /// <summary>VIRTIO_BALLOON_S_ASYNC_SCAN (12): memory scanned asynchronously.</summary>
    public ulong? AsyncScan { get; init; }

    /// <summary>VIRTIO_BALLOON_S_DIRECT_SCAN (13): memory scanned directly.</summary>
    public ulong? DirectScan { get; init; }

    /// <summary>VIRTIO_BALLOON_S_ASYNC_RECLAIM (14): memory reclaimed asynchronously.</summary>
    public ulong? AsyncReclaim { get; init; }

    /// <summary>VIRTIO_BALLOON_S_DIRECT_RECLAIM (15): memory reclaimed directly.</summary>
    public ulong? DirectReclaim { get; init; }

    /// <summary>The statistics with tag <paramref name="tag"/> set to <paramref name="value"/>; unknown tags change nothing.</summary>
    public VirtioBalloonStatistics With(ushort tag, ulong value) => tag switch
    {
        0 => this with { SwapIn = value },
        1 => this with { SwapOut = value },
        2 => this with { MajorFaults = value },
        3 => this with { MinorFaults = value },
        4 => this with { FreeMemory = value },
        5 => this with { TotalMemory = value },
        6 => this with { AvailableMemory = value },
        7 => this with { DiskCaches = value },
        8 => this with { HugetlbAllocations = value },
        9 => this with { HugetlbFailures = value },
        10 => this with { OomKill = value },
        11 => this with { AllocStall = value },
        12 => this with { AsyncScan = value },
        13 => this with { DirectScan = value },
        14 => this with { AsyncReclaim = value },
        15 => this with { DirectReclaim = value },
        _ => this,
    };
}
