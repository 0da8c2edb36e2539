using System.Text.Json.Serialization;

namespace SharpVmm.Api;

/// <summary>The body of <c>PATCH /balloon/statistics</c> (Firecracker's <c>BalloonStatsUpdate</c>).</summary>
public sealed record BalloonStatsUpdate
{
    /// <summary>Seconds between statistics requests.</summary>
    [JsonPropertyName("stats_polling_interval_s")]
    public required int StatsPollingIntervalSeconds { get; set; }
}
