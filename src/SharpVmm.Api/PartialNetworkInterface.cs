using System.Text.Json.Serialization;
using SharpVmm.Configuration;

namespace SharpVmm.Api;

/// <summary>The body of <c>PATCH /network-interfaces/{iface_id}</c> after start: new rate limiters.</summary>
public sealed record PartialNetworkInterface
{
    /// <summary>The interface, as in the path.</summary>
    [JsonPropertyName("iface_id")]
    public required string IfaceId { get; set; }

    /// <summary>New receive buckets, applied as in <see cref="PartialDrive.RateLimiter"/>.</summary>
    [JsonPropertyName("rx_rate_limiter")]
    public RateLimiterConfig? RxRateLimiter { get; set; }

    /// <summary>New transmit buckets, applied as in <see cref="PartialDrive.RateLimiter"/>.</summary>
    [JsonPropertyName("tx_rate_limiter")]
    public RateLimiterConfig? TxRateLimiter { get; set; }
}
