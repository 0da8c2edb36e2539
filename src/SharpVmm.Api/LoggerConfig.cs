using System.Text.Json.Serialization;

namespace SharpVmm.Api;

/// <summary>The body of <c>PUT /logger</c> (and <c>--log-path</c>, <c>--level</c>, ...): where the VMM's log goes.</summary>
public sealed record LoggerConfig
{
    /// <summary>A file or named pipe; null for stderr.</summary>
    [JsonPropertyName("log_path")]
    public string? LogPath { get; set; }

    /// <summary>Error, Warning, Info, Debug, Trace or Off (any case).</summary>
    [JsonPropertyName("level")]
    public string? Level { get; set; }

    /// <summary>Put the level in each line.</summary>
    [JsonPropertyName("show_level")]
    public bool? ShowLevel { get; set; }

    /// <summary>Put the message's origin (its category) in each line.</summary>
    [JsonPropertyName("show_log_origin")]
    public bool? ShowLogOrigin { get; set; }

    /// <summary>Only messages of this category (a prefix).</summary>
    [JsonPropertyName("module")]
    public string? Module { get; set; }
}
