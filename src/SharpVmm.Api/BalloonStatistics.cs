using System.Text.Json.Serialization;
using SharpVmm.Devices.Virtio.Balloon;

namespace SharpVmm.Api;

/// <summary>The answer to <c>GET /balloon/statistics</c> (Firecracker's <c>BalloonStats</c>); a statistic the guest has not reported is left out.</summary>
public sealed record BalloonStatistics
{
#pragma warning disable CS1591 // each field is the Firecracker field of the same name
    [JsonPropertyName("target_pages")] public uint TargetPages { get; init; }
    [JsonPropertyName("actual_pages")] public uint ActualPages { get; init; }
    [JsonPropertyName("target_mib")] public uint TargetMib { get; init; }
    [JsonPropertyName("actual_mib")] public uint ActualMib { get; init; }
    [JsonPropertyName("swap_in")] public ulong? SwapIn { get; init; }
    [JsonPropertyName("swap_out")] public ulong? SwapOut { get; init; }
    [JsonPropertyName("major_faults")] public ulong? MajorFaults { get; init; }
    [JsonPropertyName("minor_faults")] public ulong? MinorFaults { get; init; }
    [JsonPropertyName("free_memory")] public ulong? FreeMemory { get; init; }
    [JsonPropertyName("total_memory")] public ulong? TotalMemory { get; init; }
    [JsonPropertyName("available_memory")] public ulong? AvailableMemory { get; init; }
    [JsonPropertyName("disk_caches")] public ulong? DiskCaches { get; init; }
    [JsonPropertyName("hugetlb_allocations")] public ulong? HugetlbAllocations { get; init; }
    [JsonPropertyName("hugetlb_failures")] public ulong? HugetlbFailures { get; init; }
    [JsonPropertyName("oom_kill")] public ulong? OomKill { get; init; }
    [JsonPropertyName("alloc_stall")] public ulong? AllocStall { get; init; }
    [JsonPropertyName("async_scan")] public ulong? AsyncScan { get; init; }
    [JsonPropertyName("direct_scan")] public ulong? DirectScan { get; init; }
    [JsonPropertyName("async_reclaim")] public ulong? AsyncReclaim { get; init; }
    [JsonPropertyName("direct_reclaim")] public ulong? DirectReclaim { get; init; }
#pragma warning restore CS1591

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
