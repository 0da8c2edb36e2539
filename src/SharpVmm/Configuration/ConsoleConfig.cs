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

    /// <summary>The default of <see cref="OutputLimitBytes"/>: 64 MiB.</summary>
    public const long DefaultOutputLimitBytes = 64L << 20;

    /// <summary>How many bytes <see cref="OutputPath"/> may grow to (at least 1); the guest's output past it is
    /// dropped and counted, with one log line, so that a guest cannot fill the host's disk.</summary>
    [JsonPropertyName("output_limit_bytes")]
    public long OutputLimitBytes { get; set; } = DefaultOutputLimitBytes;
}
