using System.Text.Json.Serialization;
using SharpVmm.Configuration;

namespace SharpVmm.Api;

/// <summary>The body of <c>PATCH /drives/{drive_id}</c> after start: a new backing file, new rate limiter buckets, or both.</summary>
public sealed record PartialDrive
{
    /// <summary>The drive, as in the path.</summary>
    [JsonPropertyName("drive_id")]
    public required string DriveId { get; set; }

    /// <summary>The new image file.</summary>
    [JsonPropertyName("path_on_host")]
    public string? PathOnHost { get; set; }

    /// <summary>New token buckets: a bucket given replaces the current one (size or refill_time 0 removes it), one left out stays.</summary>
    [JsonPropertyName("rate_limiter")]
    public RateLimiterConfig? RateLimiter { get; set; }
}
