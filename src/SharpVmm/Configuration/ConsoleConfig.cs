using System.Text.Json.Serialization;

namespace SharpVmm.Configuration;

/// <summary>The guest's console: which device, and where its output goes.</summary>
public sealed record ConsoleConfig
{
    /// <summary>COM1 or a virtio-console.</summary>
    [JsonPropertyName("kind")]
    public ConsoleKind Kind { get; set; } = ConsoleKind.Serial;

    /// <summary>A file COM1's output is written to (created or truncated); null for the host's stream (stdout).</summary>
    [JsonPropertyName("output_path")]
    public string? OutputPath { get; set; }
}
