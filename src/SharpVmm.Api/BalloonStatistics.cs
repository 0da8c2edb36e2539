using System.Text.Json.Serialization;
using SharpVmm.Devices.Virtio.Balloon;

namespace SharpVmm.Api;

/// <summary>The answer to <c>GET /balloon/statistics</c> (Firecracker's <c>BalloonStats</c>); a statistic the guest has not reported is left out.</summary>
public sealed record BalloonStatistics
{
    // Each property is the Firecracker field of the same name and the device statistic it reports.
    /// <inheritdoc cref="VirtioBalloonStatistics.TargetPages"/>
    [JsonPropertyName("target_pages")] public uint TargetPages { get; init; }
    /// <inheritdoc cref="VirtioBalloonStatistics.ActualPages"/>
    [JsonPropertyName("actual_pages")] public uint ActualPages { get; init; }
    /// <inheritdoc cref="VirtioBalloonStatistics.TargetMib"/>
    [JsonPropertyName("target_mib")] public uint TargetMib { get; init; }
    /// <inheritdoc cref="VirtioBalloonStatistics.ActualMib"/>
    [JsonPropertyName("actual_mib")] public uint ActualMib { get; init; }
    /// <inheritdoc cref="VirtioBalloonStatistics.SwapIn"/>
    [JsonPropertyName("swap_in")] public ulong? SwapIn { get; init; }
    /// <inheritdoc cref="VirtioBalloonStatistics.SwapOut"/>
    [JsonPropertyName("swap_out")] public ulong? SwapOut { get; init; }
    /// <inheritdoc cref="VirtioBalloonStatistics.MajorFaults"/>
    [JsonPropertyName("major_faults")] public ulong? MajorFaults { get; init; }
    /// <inheritdoc cref="VirtioBalloonStatistics.MinorFaults"/>
    [JsonPropertyName("minor_faults")] public ulong? MinorFaults { get; init; }
    /// <inheritdoc cref="VirtioBalloonStatistics.FreeMemory"/>
    [JsonPropertyName("free_memory")] public ulong? FreeMemory { get; init; }
    /// <inheritdoc cref="VirtioBalloonStatistics.TotalMemory"/>
    [JsonPropertyName("total_memory")] public ulong? TotalMemory { get; init; }
    /// <inheritdoc cref="VirtioBalloonStatistics.AvailableMemory"/>
    [JsonPropertyName("available_memory")] public ulong? AvailableMemory { get; init; }
    /// <inheritdoc cref="VirtioBalloonStatistics.DiskCaches"/>
    [JsonPropertyName("disk_caches")] public ulong? DiskCaches { get; init; }
    /// <inheritdoc cref="VirtioBalloonStatistics.HugetlbAllocations"/>
    [JsonPropertyName("hugetlb_allocations")] public ulong? HugetlbAllocations { get; init; }
    /// <inheritdoc cref="VirtioBalloonStatistics.HugetlbFailures"/>
    [JsonPropertyName("hugetlb_failures")] public ulong? HugetlbFailures { get; init; }
    /// <inheritdoc cref="VirtioBalloonStatistics.OomKill"/>
    [JsonPropertyName("oom_kill")] public ulong? OomKill { get; init; }
    /// <inheritdoc cref="VirtioBalloonStatistics.AllocStall"/>
    [JsonPropertyName("alloc_stall")] public ulong? AllocStall { get; init; }
    /// <inheritdoc cref="VirtioBalloonStatistics.AsyncScan"/>
    [JsonPropertyName("async_scan")] public ulong? AsyncScan { get; init; }
    /// <inheritdoc cref="VirtioBalloonStatistics.DirectScan"/>
    [JsonPropertyName("direct_scan")] public ulong? DirectScan { get; init; }
    /// <inheritdoc cref="VirtioBalloonStatistics.AsyncReclaim"/>
    [JsonPropertyName("async_reclaim")] public ulong? AsyncReclaim { get; init; }
    /// <inheritdoc cref="VirtioBalloonStatistics.DirectReclaim"/>
    [JsonPropertyName("direct_reclaim")] public ulong? DirectReclaim { get; init; }

    /// <summary>The device's statistics under Firecracker's names.</summary>
    public static BalloonStatistics From(VirtioBalloonStatistics stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        return new BalloonStatistics
        {
            TargetPages = stats.TargetPages,
            ActualPages = stats.ActualPages,
            TargetMib = stats.TargetMib,
            ActualMib = stats.ActualMib,
            SwapIn = stats.SwapIn,
            SwapOut = stats.SwapOut,
            MajorFaults = stats.MajorFaults,
            MinorFaults = stats.MinorFaults,
            FreeMemory = stats.FreeMemory,
            TotalMemory = stats.TotalMemory,
            AvailableMemory = stats.AvailableMemory,
            DiskCaches = stats.DiskCaches,
            HugetlbAllocations = stats.HugetlbAllocations,
            HugetlbFailures = stats.HugetlbFailures,
            OomKill = stats.OomKill,
            AllocStall = stats.AllocStall,
            AsyncScan = stats.AsyncScan,
            DirectScan = stats.DirectScan,
            AsyncReclaim = stats.AsyncReclaim,
            DirectReclaim = stats.DirectReclaim,
        };
    }
}
