using System.Text.Json.Serialization;

namespace SharpVmm.Configuration;

/// <summary>A virtio-balloon device (Firecracker's <c>balloon</c>): a target the guest gives memory back towards. In JSON, as in Firecracker, <c>amount_mib</c> and <c>deflate_on_oom</c> are required.</summary>
public sealed record BalloonConfig
{
    /// <summary>The target balloon size in MiB: how much of its memory the guest is asked to give back.</summary>
    [JsonPropertyName("amount_mib")]
    [JsonRequired]
    public int AmountMib { get; set; }

    /// <summary>Offer VIRTIO_BALLOON_F_DEFLATE_ON_OOM: the guest deflates the balloon when it runs out of memory.</summary>
    [JsonPropertyName("deflate_on_oom")]
    [JsonRequired]
    public bool DeflateOnOom { get; set; }

    /// <summary>Seconds between statistics requests; non-zero turns statistics on (they cannot be turned on or off after boot).</summary>
    [JsonPropertyName("stats_polling_interval_s")]
    public int StatsPollingIntervalSeconds { get; set; }

    /// <summary>Free page hinting (Firecracker's field); not supported, only false is accepted.</summary>
    [JsonPropertyName("free_page_hinting")]
    public bool FreePageHinting { get; set; }

    /// <summary>Free page reporting (Firecracker's field); not supported, only false is accepted.</summary>
    [JsonPropertyName("free_page_reporting")]
    public bool FreePageReporting { get; set; }
}
