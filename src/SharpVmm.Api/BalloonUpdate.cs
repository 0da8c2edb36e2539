using System.Text.Json.Serialization;

namespace SharpVmm.Api;

/// <summary>The body of <c>PATCH /balloon</c> (Firecracker's <c>BalloonUpdate</c>): a new target.</summary>
public sealed record BalloonUpdate
{
    /// <summary>The target balloon size in MiB.</summary>
    [JsonPropertyName("amount_mib")]
    public required int AmountMib { get; set; }
}
