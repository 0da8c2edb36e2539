using System.Text.Json.Serialization;

namespace SharpVmm.Api;

/// <summary>The <c>mem_backend</c> of <c>PUT /snapshot/load</c>.</summary>
public sealed record MemoryBackendParams
{
    /// <summary><c>File</c> (mapped copy-on-write); Firecracker's <c>Uffd</c> is refused.</summary>
    [JsonPropertyName("backend_type")]
    public required string BackendType { get; set; }

    /// <summary>The memory file.</summary>
    [JsonPropertyName("backend_path")]
    public required string BackendPath { get; set; }
}
